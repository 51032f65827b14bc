"""HTTP controllers, one module per area. ``ROUTES`` in ``app.py`` lists them all."""
