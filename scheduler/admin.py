"""Calendar management shared by the chat commands and the CLI: parse times, add, cancel and list reminders."""
from __future__ import annotations

import re
from datetime import datetime, timezone

from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from bot.core.clock import SHANGHAI
from scheduler.calendar import fmt_rule, next_occurrence
from scheduler.models import Reminder, aware
from scheduler.render import text_problem


class ReminderError(ValueError):
    """Input that cannot become a reminder; the message is Chinese and shown to the user."""


_WHEN = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?[ T]+(\d{1,2})[:：点](\d{2})分?$")


def parse_when(text: str) -> datetime:
    """「2025-05-30 09:00」 or ISO 8601 (with or without offset) as an aware datetime; naive means Asia/Shanghai."""
    text = text.strip()
    m = _WHEN.match(text)
    try:
        if m:
            y, mo, d, h, mi = (int(g) for g in m.groups())
            return datetime(y, mo, d, h, mi, tzinfo=SHANGHAI)
        dt = datetime.fromisoformat(text)
    except ValueError:
        raise ReminderError(f"无法识别的时间「{text}」，请写成 2025-05-30 09:00 的格式。") from None
    return dt if dt.tzinfo else dt.replace(tzinfo=SHANGHAI)


def add_reminder(sessions: sessionmaker, at: datetime, text: str, created_by: str, now: datetime,
                 yearly: bool = False, source: str = "") -> Reminder:
    """Store a new reminder; refuses empty or over-long texts and one-off times already past."""
    problem = text_problem(text)
    if problem:
        raise ReminderError(f"提醒{problem}")
    if not yearly and at <= now:
        raise ReminderError(f"提醒时间 {at.astimezone(SHANGHAI):%Y-%m-%d %H:%M} 已经过去，请填写将来的时间。")
    with sessions() as s:
        rem = Reminder(text=text.strip(), first_at=at.astimezone(timezone.utc), yearly=yearly, source=source,
                       created_by=created_by)
        s.add(rem)
        s.commit()
        return rem


def edit_reminder(sessions: sessionmaker, reminder_id: int, now: datetime, at: datetime | None = None,
                  text: str | None = None) -> Reminder | None:
    """Move a reminder and/or change its text; a yearly entry stays yearly from its new date on. None when unknown."""
    if text is not None and text_problem(text):
        raise ReminderError(f"提醒{text_problem(text)}")
    with sessions() as s:
        rem = s.get(Reminder, reminder_id)
        if rem is None or not rem.active:
            return None
        if at is not None:
            if not rem.yearly and at <= now:
                raise ReminderError(f"提醒时间 {at.astimezone(SHANGHAI):%Y-%m-%d %H:%M} 已经过去，请填写将来的时间。")
            rem.first_at = at.astimezone(timezone.utc)
        if text is not None:
            rem.text = text.strip()
        s.commit()
        return rem


def cancel_reminder(sessions: sessionmaker, reminder_id: int) -> Reminder | None:
    """Deactivate a reminder (kept, so a seeded entry is not seeded again); None when unknown or already off."""
    with sessions() as s:
        rem = s.get(Reminder, reminder_id)
        if rem is None or not rem.active:
            return None
        rem.active = False
        s.commit()
        return rem


def upcoming(sessions: sessionmaker, now: datetime,
             include_inactive: bool = False) -> list[tuple[Reminder, datetime | None]]:
    """Reminders with their next occurrence, soonest first (finished one-offs last)."""
    with sessions() as s:
        q = select(Reminder).order_by(Reminder.id)
        if not include_inactive:
            q = q.where(Reminder.active.is_(True))
        rows = [(r, next_occurrence(r, now)) for r in s.scalars(q)]
    far = datetime.max.replace(tzinfo=timezone.utc)
    return sorted(rows, key=lambda p: (p[1] or far, p[0].id))


def describe(rem: Reminder, nxt: datetime | None) -> str:
    """One line: id, rule, next time, text, source."""
    when = f"下次 {aware(nxt).astimezone(SHANGHAI):%Y-%m-%d %H:%M}" if nxt else "已过期"
    state = "" if rem.active else "（已取消）"
    line = f"#{rem.id} {fmt_rule(rem)}（{when}）{state} {rem.text}"
    return line + (f"\n    依据：{rem.source}" if rem.source else "")
