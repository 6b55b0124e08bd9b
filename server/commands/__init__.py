"""One module per command of `workspace/executeCommand`; `server.py` registers them."""
