"""Access tokens cached in the database, so every worker shares one token per app and survives restarts."""
from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone
from typing import Callable

from sqlalchemy import DateTime, String, delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column, sessionmaker

from bot.core.clock import Clock, as_utc, system_clock
from bot.core.db import Base

log = logging.getLogger(__name__)

# Refresh a little before the platform's expiry so a token never dies in flight.
REFRESH_MARGIN = timedelta(minutes=5)


class AccessToken(Base):
    """The current access token of one platform app (``name`` like "wecom:corp:agent")."""

    __tablename__ = "outbound_token"
    name: Mapped[str] = mapped_column(String(191), primary_key=True)
    token: Mapped[str] = mapped_column(String(1024))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))



class TokenCache:
    """Get a valid token for a name, fetching and storing a new one when missing or about to expire."""

    def __init__(self, sessions: sessionmaker, clock: Clock = system_clock):
        self.sessions = sessions
        self.clock = clock

    def get(self, name: str, fetch: Callable[[], tuple[str, int]]) -> str:
        """A token valid for at least REFRESH_MARGIN; ``fetch`` returns (token, seconds to live)."""
        now = self.clock()
        with self.sessions() as s:
            row = s.get(AccessToken, name)
            if row is not None and as_utc(row.expires_at) - REFRESH_MARGIN > now:
                return row.token
        token, ttl = fetch()
        log.info("fetched a new access token for %s (valid %ss)", name, ttl)
        self._store(name, token, now + timedelta(seconds=int(ttl)))
        return token

    def _store(self, name: str, token: str, expires_at: datetime) -> None:
        with self.sessions() as s:
            row = s.get(AccessToken, name)
            if row is None:
                s.add(AccessToken(name=name, token=token, expires_at=expires_at.astimezone(timezone.utc)))
            else:
                row.token = token
                row.expires_at = expires_at.astimezone(timezone.utc)
            try:
                s.commit()
            except IntegrityError:
                # Another worker stored a token at the same moment; theirs is as good as ours.
                s.rollback()

    def invalidate(self, name: str, token: str) -> None:
        """Forget ``token`` if it is still the cached one (a newer token stored by another worker stays)."""
        with self.sessions() as s:
            s.execute(delete(AccessToken).where(AccessToken.name == name, AccessToken.token == token))
            s.commit()
