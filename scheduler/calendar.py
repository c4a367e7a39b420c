"""When a reminder fires: one-off or yearly occurrences in Asia/Shanghai local time."""
from __future__ import annotations

from datetime import datetime, timedelta

from bot.core.clock import SHANGHAI
from scheduler.models import Reminder, aware


def _local_first(rem: Reminder) -> datetime:
    return aware(rem.first_at).astimezone(SHANGHAI)


def _in_year(first: datetime, year: int) -> datetime | None:
    try:
        return first.replace(year=year)
    except ValueError:  # 29 February in a common year: that year has no occurrence
        return None


def occurrences(rem: Reminder, start: datetime, end: datetime) -> list[datetime]:
    """Occurrences ``t`` with start < t <= end, oldest first (aware, Asia/Shanghai)."""
    first = _local_first(rem)
    if not rem.yearly:
        return [first] if start < first <= end else []
    found = []
    for year in range(max(first.year, start.astimezone(SHANGHAI).year), end.astimezone(SHANGHAI).year + 1):
        t = _in_year(first, year)
        if t is not None and start < t <= end:
            found.append(t)
    return found


def latest_occurrence(rem: Reminder, at: datetime) -> datetime | None:
    """The last occurrence at or before ``at``, or None."""
    first = _local_first(rem)
    if first > at:
        return None
    if not rem.yearly:
        return first
    for year in range(at.astimezone(SHANGHAI).year, first.year - 1, -1):
        t = _in_year(first, year)
        if t is not None and t <= at:
            return t
    return None  # pragma: no cover - first <= at guarantees a hit


def next_occurrence(rem: Reminder, after: datetime) -> datetime | None:
    """The first occurrence strictly after ``after``, or None when a one-off reminder has passed."""
    first = _local_first(rem)
    if first > after:
        return first
    if not rem.yearly:
        return None
    for year in range(after.astimezone(SHANGHAI).year, after.astimezone(SHANGHAI).year + 5):
        t = _in_year(first, year)
        if t is not None and t > after:
            return t
    return None  # pragma: no cover


def due_occurrences(rem: Reminder, at: datetime, grace: timedelta) -> list[datetime]:
    """Occurrences that are due at ``at``: at or before it and no older than ``grace``."""
    return occurrences(rem, at - grace - timedelta(microseconds=1), at)


def fmt_local(dt: datetime) -> str:
    """「2025-05-30 09:00」 in Asia/Shanghai."""
    return aware(dt).astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


def fmt_rule(rem: Reminder) -> str:
    """「每年 5月30日 09:00」 or 「2025-05-30 09:00」."""
    first = _local_first(rem)
    if rem.yearly:
        return f"每年{first.month}月{first.day}日 {first:%H:%M}"
    return fmt_local(first)
