"""Tables of the reminder system: calendar entries, delivery targets, broadcasts, the outbox and the lease."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import JSON, Boolean, DateTime, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.types import TypeDecorator
from sqlalchemy.orm import Mapped, mapped_column

from bot.core.db import Base

# Target kinds and whether they render markdown.
WECOM_ROBOT = "wecom_robot"
WECOM_APP = "wecom_app"
DINGTALK_ROBOT = "dingtalk_robot"
DINGTALK_NOTICE = "dingtalk_notice"
TARGET_KINDS = (WECOM_ROBOT, WECOM_APP, DINGTALK_ROBOT, DINGTALK_NOTICE)
ROBOT_KINDS = (WECOM_ROBOT, DINGTALK_ROBOT)

# Outbox states: pending -> sending -> sent | failed; pending rows may also end as skipped.
PENDING, SENDING, SENT, FAILED, SKIPPED = "pending", "sending", "sent", "failed", "skipped"


def utcnow() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(timezone.utc)


def aware(dt: datetime | None) -> datetime | None:
    """SQLite returns naive datetimes; everything stored is UTC."""
    if dt is None:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)


class UTCDateTime(TypeDecorator):
    """Aware datetimes stored as UTC and read back aware, on SQLite (which drops offsets) as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        """Aware datetime in, UTC out."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(timezone.utc)

    def process_result_value(self, value, dialect):
        """Stored value back as an aware UTC datetime."""
        return aware(value).astimezone(timezone.utc) if value is not None else None


class Reminder(Base):
    """A calendar entry: fires at ``first_at`` and, when ``yearly``, on the same local date and time every year."""

    __tablename__ = "reminder"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    text: Mapped[str] = mapped_column(Text)
    first_at: Mapped[datetime] = mapped_column(UTCDateTime)
    yearly: Mapped[bool] = mapped_column(Boolean, default=False)
    source: Mapped[str] = mapped_column(Text, default="")  # document and article the date comes from
    seed_key: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[str] = mapped_column(String(160), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ReminderRun(Base):
    """One occurrence of a reminder that was handled (queued, queued late, or skipped): handled at most once."""

    __tablename__ = "reminder_run"
    __table_args__ = (UniqueConstraint("reminder_id", "occurrence_at", name="uq_reminder_run"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    reminder_id: Mapped[int] = mapped_column(Integer, index=True)
    occurrence_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16))  # "queued", "late", "skipped"
    handled_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    deliveries: Mapped[int] = mapped_column(Integer, default=0)


class Target(Base):
    """Where reminders go: a group robot, app-message recipients, or one subscribed member."""

    __tablename__ = "reminder_target"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200), default="")
    # kind-specific: {"key"}, {"touser","toparty","totag"}, {"access_token","secret"}, {"userids"}
    address: Mapped[dict] = mapped_column(JSON, default=dict)
    # sha256 of kind + canonical address, so the same robot or user is never added twice (and no secret is indexed)
    fingerprint: Mapped[str] = mapped_column(String(64), unique=True)
    subscriber: Mapped[str | None] = mapped_column(String(200), nullable=True)  # "channel:user" for 订阅提醒
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Broadcast(Base):
    """A one-off message from the secretariat to every active target."""

    __tablename__ = "broadcast"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    text: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(160), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    deliveries: Mapped[int] = mapped_column(Integer, default=0)


class OutboxRow(Base):
    """One message to one target; ``key`` makes queueing idempotent, ``state`` makes sending at-most-once."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "state", "next_attempt_at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(191), unique=True)
    target_id: Mapped[int] = mapped_column(Integer, index=True)
    msgtype: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(200), default="")
    content: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16), default=PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True, index=True)
    last_error: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SchedulerLease(Base):
    """Who runs the scheduler: one row per lease name, held until ``expires_at`` unless renewed."""

    __tablename__ = "scheduler_lease"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    owner: Mapped[str] = mapped_column(String(200))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
