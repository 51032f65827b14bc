"""Use-case containers, one per area. They import application code only; the adapters
they run on come from ``entrypoints.container.Gateways``."""
