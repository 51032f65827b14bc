"""Adapters: concrete implementations of the application's ports.

Adapter packages never import one another (import-linter independence contract);
only ``entrypoints/container.py`` picks which ones run.
"""
