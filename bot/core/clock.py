"""Time source; tests replace it to travel in time."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Callable
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    """The current time as an aware UTC datetime."""
    return datetime.now(timezone.utc)


class FrozenClock:
    """A clock that stands still until moved; for tests and dry runs."""

    def __init__(self, at: datetime):
        self.at = at if at.tzinfo else at.replace(tzinfo=SHANGHAI)

    def __call__(self) -> datetime:
        return self.at

    def advance(self, **delta) -> None:
        """Move the clock forward by a timedelta's keyword arguments."""
        from datetime import timedelta

        self.at = self.at + timedelta(**delta)


def as_utc(dt: datetime) -> datetime:
    """A stored datetime as aware UTC; SQLite hands back naive values, and everything we store is UTC."""
    return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)
