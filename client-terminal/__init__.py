"""`ollama-lsp chat` and `ollama-lsp generate`: a real LSP client of the server, started as a
child process over stdio.

It is the main-job demo and our own test client: answers stream to stdout as they are
generated, Ctrl-C sends `$/cancelRequest` (the model stops), Ctrl-D ends an interactive chat.
`generate` opens a file, runs `ollama.generateCode` on a cursor or a selection (stages on
stderr, code on stdout), and with `--apply` answers the server's `workspace/applyEdit` by
writing the edit into the file.
"""
