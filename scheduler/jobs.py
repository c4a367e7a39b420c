"""Scheduler job functions: module-level so APScheduler's SQLAlchemy job store can store references to them.

Jobs carry only picklable ids; the live database and clock come from the scheduler service of this process,
bound here when it takes the lease.
"""
from __future__ import annotations

import logging
from datetime import timedelta

from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger
from sqlalchemy import select

from bot.core.clock import SHANGHAI
from scheduler.enqueue import fire, queue_occurrence
from scheduler.models import Reminder, ReminderRun, aware

log = logging.getLogger(__name__)

JOB_PREFIX = "reminder:"
_service = None  # the SchedulerService owning the lease in this process; not shared state, just wiring


def bind(service) -> None:
    """Make the owning scheduler service available to job functions in this process."""
    global _service
    _service = service


def _grace() -> timedelta:
    return timedelta(minutes=_service.runtime.config.reminder_grace_minutes)


def fire_reminder(reminder_id: int) -> None:
    """Queue the occurrence of a reminder that is due now."""
    if _service is None:
        log.error("reminder %s fired with no scheduler service bound", reminder_id)
        return
    fire(_service.runtime.sessions, reminder_id, _service.runtime.clock(), _grace())


def on_missed(event) -> None:
    """APScheduler listener for runs missed beyond the grace period: record and log them as skipped."""
    if _service is None or not str(event.job_id).startswith(JOB_PREFIX):
        return
    reminder_id = int(str(event.job_id)[len(JOB_PREFIX):])
    queue_occurrence(_service.runtime.sessions, reminder_id, aware(event.scheduled_run_time),
                     _service.runtime.clock(), _grace())


def _trigger(rem: Reminder):
    first = aware(rem.first_at).astimezone(SHANGHAI)
    if rem.yearly:
        return CronTrigger(month=first.month, day=first.day, hour=first.hour, minute=first.minute,
                           second=first.second, start_date=first, timezone=SHANGHAI)
    return DateTrigger(run_date=first, timezone=SHANGHAI)


def _signature(rem: Reminder) -> str:
    return f"{rem.id}|{'yearly' if rem.yearly else 'once'}|{aware(rem.first_at).isoformat()}"


def sync_reminders() -> int:
    """Make the job store match the reminder table (added, edited, cancelled); returns jobs added or replaced."""
    if _service is None or _service.aps is None:
        return 0
    sched, sessions = _service.aps, _service.runtime.sessions
    with sessions() as s:
        reminders = list(s.scalars(select(Reminder).where(Reminder.active.is_(True))))
        handled = {(r.reminder_id, aware(r.occurrence_at)) for r in s.scalars(
            select(ReminderRun).where(ReminderRun.reminder_id.in_([r.id for r in reminders if not r.yearly])))}
    wanted = {f"{JOB_PREFIX}{r.id}": r for r in reminders
              if r.yearly or (r.id, aware(r.first_at)) not in handled}
    changed = 0
    for job in sched.get_jobs():
        if job.id.startswith(JOB_PREFIX) and job.id not in wanted:
            sched.remove_job(job.id)
    for job_id, rem in wanted.items():
        job = sched.get_job(job_id)
        if job is not None and job.name == _signature(rem):
            continue
        sched.add_job(fire_reminder, _trigger(rem), args=[rem.id], id=job_id, name=_signature(rem),
                      replace_existing=True)
        changed += 1
    if changed:
        log.info("scheduler: %s reminder jobs added or updated", changed)
    return changed
