"""ollama-lsp: the language server package."""

__version__ = "0.1.0"
