"""ollama-lsp: the language server package."""
