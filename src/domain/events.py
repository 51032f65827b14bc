"""Domain events: facts that happened, recorded by aggregates and handled after commit."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class DomainEvent:
    """Base of every domain event (past tense names)."""
