"""Realtime delivery to connected clients (Socket.IO)."""
