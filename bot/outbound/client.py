"""What the platforms' API clients share: an HTTP session, a timeout and the app token cached in the database."""
from __future__ import annotations

import logging
from typing import Callable

from sqlalchemy.orm import sessionmaker

from bot.core.clock import Clock, system_clock
from bot.core.config import Config
from bot.outbound.http import DEFAULT_TIMEOUT, call_json, new_session
from bot.outbound.tokens import TokenCache

log = logging.getLogger(__name__)


class TokenApiClient:
    """Base of WeComApi and DingTalkApi; subclasses name their token and say how to fetch one."""

    platform = "platform"

    def __init__(self, config: Config, sessions: sessionmaker, clock: Clock = system_clock, http=None,
                 timeout: float = DEFAULT_TIMEOUT):
        self.config = config
        self.clock = clock
        self.tokens = TokenCache(sessions, clock)
        self.http = http or new_session()
        self.timeout = timeout

    @property
    def token_name(self) -> str:
        """Key of this app's token in the shared cache."""
        raise NotImplementedError

    def _fetch_token(self) -> tuple[str, int]:
        """A new token and its lifetime in seconds, from the platform."""
        raise NotImplementedError

    def access_token(self) -> str:
        """The app's current access token, fetched only when the cached one is missing or near expiry."""
        return self.tokens.get(self.token_name, self._fetch_token)

    def post_with_token(self, url: str, body: dict, refused: Callable[[dict], bool]) -> dict:
        """POST with the app token; a token the platform refuses (``refused(answer)``) is dropped and renewed once."""
        for attempt in (1, 2):
            token = self.access_token()
            data = call_json(self.http, "POST", url, params={"access_token": token}, json=body, timeout=self.timeout)
            if not refused(data):
                return data
            # The platform may revoke a token before its expiry; other workers must not use it either.
            self.tokens.invalidate(self.token_name, token)
            if attempt == 1:
                log.info("%s refused the cached token (errcode %s); fetching a new one", self.platform,
                         data.get("errcode"))
        return data
