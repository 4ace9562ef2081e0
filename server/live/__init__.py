"""Live rooms (`/live/{room}`): discussion, presence, moderation and the speaking queue.

``protocol`` parses and validates frames, ``presence`` says who is here, ``room`` delivers a
room's events to its connections in order (replaying what a reconnecting client missed),
``service`` carries out commands, ``socket`` is the WebSocket endpoint.
"""
