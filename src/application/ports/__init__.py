"""Ports: what the use cases need from the outside world, as ``typing.Protocol``s.

Ports speak domain types only; no ORM row, SDK object or framework type crosses them.
"""
