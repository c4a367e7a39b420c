"""Turn due reminder occurrences and broadcasts into outbox rows, each exactly once."""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from scheduler.calendar import due_occurrences, fmt_local, occurrences
from scheduler.models import Broadcast, OutboxRow, Reminder, ReminderRun, Target, aware
from scheduler.render import render_broadcast, render_reminder

log = logging.getLogger(__name__)

# A reminder that goes out more than this after its time is marked 「（补发）」.
LATE_AFTER = timedelta(minutes=5)


@dataclass
class Due:
    """One occurrence of a reminder and what became of it."""

    reminder_id: int
    text: str
    occurrence_at: datetime
    late: bool
    status: str = "due"  # "queued", "late", "skipped", "already"
    deliveries: int = 0
    targets: list[int] = field(default_factory=list)


def _utc(dt: datetime) -> datetime:
    return aware(dt).astimezone(timezone.utc)


def occurrence_key(reminder_id: int, occurrence_at: datetime, target_id: int) -> str:
    """Idempotency key of one reminder occurrence for one target."""
    return f"r{reminder_id}@{_utc(occurrence_at):%Y%m%dT%H%M%SZ}#t{target_id}"


def _targets(s: Session) -> list[Target]:
    return list(s.scalars(select(Target).where(Target.active.is_(True)).order_by(Target.id)))


def _handled(s: Session, reminder_id: int, occurrence_at: datetime) -> bool:
    return s.scalar(select(ReminderRun.id).where(ReminderRun.reminder_id == reminder_id,
                                                 ReminderRun.occurrence_at == _utc(occurrence_at))) is not None


def queue_occurrence(sessions: sessionmaker, reminder_id: int, occurrence_at: datetime, at: datetime,
                     grace: timedelta, send_from: datetime | None = None) -> Due:
    """Queue one occurrence for every active target, or skip it when older than ``grace``; idempotent."""
    send_from = _utc(send_from or at)
    with sessions() as s:
        rem = s.get(Reminder, reminder_id)
        if rem is None or not rem.active:
            return Due(reminder_id, "", occurrence_at, False, status="already")
        lateness = at - occurrence_at
        due = Due(rem.id, rem.text, occurrence_at, lateness > LATE_AFTER)
        if _handled(s, rem.id, occurrence_at):
            due.status = "already"
            return due
        if lateness > grace:
            due.status = "skipped"
        else:
            due.status = "late" if due.late else "queued"
            for target in _targets(s):
                msgtype, title, content = render_reminder(target.kind, rem.text, rem.source,
                                                          fmt_local(occurrence_at), due.late)
                s.add(OutboxRow(key=occurrence_key(rem.id, occurrence_at, target.id), target_id=target.id,
                                msgtype=msgtype, title=title, content=content, next_attempt_at=send_from))
                due.targets.append(target.id)
            due.deliveries = len(due.targets)
            if not due.deliveries:
                log.warning("reminder %s of %s is due but there are no active targets", rem.id,
                            fmt_local(occurrence_at))
        # The run row and the outbox rows commit together: a crash leaves either all of them or none.
        s.add(ReminderRun(reminder_id=rem.id, occurrence_at=_utc(occurrence_at), status=due.status,
                          handled_at=_utc(at), deliveries=due.deliveries))
        try:
            s.commit()
        except IntegrityError:
            s.rollback()  # another process handled this occurrence first
            due.status, due.deliveries, due.targets = "already", 0, []
            return due
    if due.status == "skipped":
        log.warning("reminder %s of %s missed by %s (grace %s): skipped", due.reminder_id, fmt_local(occurrence_at),
                    lateness, grace)
    else:
        log.info("reminder %s of %s queued for %s targets%s", due.reminder_id, fmt_local(occurrence_at),
                 due.deliveries, " (late)" if due.late else "")
    return due


def find_due(sessions: sessionmaker, at: datetime, grace: timedelta, lookback: timedelta | None = None) -> list[Due]:
    """Occurrences not yet handled at ``at``: within ``grace`` (to send) or within ``lookback`` (to skip)."""
    lookback = max(lookback or grace, grace)
    found = []
    with sessions() as s:
        targets = [t.id for t in _targets(s)]
        for rem in s.scalars(select(Reminder).where(Reminder.active.is_(True)).order_by(Reminder.id)):
            for occ in occurrences(rem, at - lookback - timedelta(microseconds=1), at):
                if not _handled(s, rem.id, occ):
                    late = at - occ > LATE_AFTER
                    status = "due" if at - occ <= grace else "skipped"
                    found.append(Due(rem.id, rem.text, occ, late, status=status, targets=list(targets)))
    found.sort(key=lambda d: (d.occurrence_at, d.reminder_id))
    return found


def queue_due(sessions: sessionmaker, at: datetime, grace: timedelta, lookback: timedelta | None = None,
              send_from: datetime | None = None) -> list[Due]:
    """Queue (or skip) every occurrence found by ``find_due``; running it twice queues nothing more."""
    return [queue_occurrence(sessions, d.reminder_id, d.occurrence_at, at, grace, send_from)
            for d in find_due(sessions, at, grace, lookback)]


def fire(sessions: sessionmaker, reminder_id: int, now: datetime, grace: timedelta) -> Due | None:
    """Queue the occurrence of one reminder that is due now (what a scheduler job does when it fires)."""
    with sessions() as s:
        rem = s.get(Reminder, reminder_id)
        if rem is None or not rem.active:
            return None
        due = due_occurrences(rem, now + timedelta(seconds=1), grace)
    return queue_occurrence(sessions, reminder_id, due[-1], now, grace) if due else None


def queue_broadcast(sessions: sessionmaker, text: str, created_by: str, now: datetime) -> tuple[int, int]:
    """Queue a secretariat broadcast to every active target; returns (broadcast id, deliveries)."""
    with sessions() as s:
        b = Broadcast(text=text.strip(), created_by=created_by, created_at=_utc(now))
        s.add(b)
        s.flush()
        targets = _targets(s)
        for target in targets:
            msgtype, title, content = render_broadcast(target.kind, b.text)
            s.add(OutboxRow(key=f"b{b.id}#t{target.id}", target_id=target.id, msgtype=msgtype, title=title,
                            content=content, next_attempt_at=_utc(now)))
        b.deliveries = len(targets)
        s.commit()
        log.info("broadcast %s by %s queued for %s targets", b.id, created_by, len(targets))
        return b.id, len(targets)
