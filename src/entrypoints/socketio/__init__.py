"""The Socket.IO entrypoint: the server, its /chat namespace, and its lifecycle."""
