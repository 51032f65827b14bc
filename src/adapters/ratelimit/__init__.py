"""Counters for rate limits and login back-off: in-process, or shared through Redis."""
