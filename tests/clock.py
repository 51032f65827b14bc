"""The one controllable clock of the test suite."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import ClassVar


class MovableClock:
    """Moves only when told. Starts at ``moment``, else at the class's ``origin``, else at the
    real present (whole seconds): access tokens issued by the app are checked by PyJWT against
    the real time, so tests that log in and then move the clock start near now."""

    origin: ClassVar[datetime | None] = None

    def __init__(self, moment: datetime | None = None) -> None:
        self.moment = moment or self.origin or datetime.now(UTC).replace(microsecond=0)
        self.start = self.moment  #: where the clock started

    def now(self) -> datetime:
        return self.moment

    def today(self) -> date:
        return self.moment.date()

    def advance(self, delta: timedelta = timedelta(0), **kwargs: float) -> datetime:
        self.moment += delta + timedelta(**kwargs)
        return self.moment
