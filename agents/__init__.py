"""Model clients and agents; nothing here knows about LSP."""
