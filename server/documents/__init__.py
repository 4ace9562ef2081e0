"""Live documents: connections, relaying, persistence and the document lifecycle."""
