"""Delivery of messages that leave the system (email, Telegram): when to try again."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """``retries`` more attempts after the first, the n-th one ``delay * backoff^(n-1)`` later
    (capped at ``max_delay``). ``backoff=1`` gives evenly spaced retries."""

    retries: int
    delay: timedelta
    backoff: float = 1.0
    max_delay: timedelta = timedelta(hours=6)

    @property
    def max_attempts(self) -> int:
        return 1 + self.retries

    def next_attempt_at(self, attempts_made: int, now: datetime) -> datetime | None:
        """When to try again after ``attempts_made`` failed attempts, or ``None`` to give up."""
        if attempts_made >= self.max_attempts:
            return None
        wait = self.delay * (self.backoff ** max(0, attempts_made - 1))
        return now + min(wait, self.max_delay)
