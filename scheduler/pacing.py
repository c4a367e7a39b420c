"""Per-target send rates: group robots take 20 messages a minute, so the worker waits for a free slot instead of
hitting the platform's limit (WeCom 45009, DingTalk 130101 and a ten-minute throttle)."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from scheduler.models import DINGTALK_ROBOT, SENT, WECOM_APP, WECOM_ROBOT, OutboxRow, aware

WINDOW = timedelta(seconds=60)
# Messages per WINDOW per target. WeCom app messages: 30 per member per minute, the excess silently dropped.
RATE_LIMITS = {WECOM_ROBOT: 20, DINGTALK_ROBOT: 20, WECOM_APP: 30}


def next_slot(s: Session, target_id: int, kind: str, now: datetime) -> datetime:
    """The earliest moment a message to this target stays within its limit: ``now`` or later."""
    limit = RATE_LIMITS.get(kind)
    if limit is None:
        return now
    recent = list(s.scalars(select(OutboxRow.sent_at).where(
        OutboxRow.target_id == target_id, OutboxRow.state == SENT, OutboxRow.sent_at > now - WINDOW)
        .order_by(OutboxRow.sent_at.desc()).limit(limit)))
    if len(recent) < limit:
        return now
    # The window frees up when the oldest of the last ``limit`` messages is a full window old.
    return aware(recent[-1]) + WINDOW
