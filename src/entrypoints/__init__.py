"""Entrypoints: HTTP (Litestar), Socket.IO, the scheduler, the CLI and the composition root."""
