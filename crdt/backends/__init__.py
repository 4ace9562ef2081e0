"""Document backends: ``pycrdt_backend`` (default) and ``ypy_backend`` (optional)."""
