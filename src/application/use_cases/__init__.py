"""Use cases: one class per operation, one ``__call__``, the transaction boundary."""
