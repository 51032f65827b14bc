"""The core of Athenaeum: entities, value objects and rules.

Nothing here imports anything outside the standard library (checked by import-linter).
Time is always passed in; nothing reads the clock.
"""
