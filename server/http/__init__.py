"""HTTP and WebSocket endpoints: thin adapters between the transport and the domain."""
