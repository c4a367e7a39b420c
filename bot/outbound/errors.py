"""Typed failures of the platform API clients; callers decide from the type whether to retry."""
from __future__ import annotations


class OutboundError(Exception):
    """A call to a platform API did not deliver; ``retryable`` says whether trying again later may help."""

    retryable = False

    def __init__(self, message: str, errcode: int | None = None, errmsg: str = ""):
        super().__init__(message)
        self.errcode = errcode
        self.errmsg = errmsg


class NotConfigured(OutboundError):
    """Credentials or ids needed for this call are missing from the configuration."""


class InvalidMessage(OutboundError):
    """The message itself is unacceptable (no recipient, too long, unknown type); retrying will not help."""


class Unreachable(OutboundError):
    """Network failure, timeout or a 5xx answer: the platform may not have seen the request."""

    retryable = True


class SendFailed(OutboundError):
    """The platform answered with a non-zero errcode."""

    # Codes the platforms document as transient ("system busy").
    TRANSIENT = frozenset({-1})

    def __init__(self, errcode: int | None, errmsg: str = "", message: str | None = None):
        super().__init__(message or f"errcode={errcode} errmsg={errmsg}", errcode, errmsg)

    @property
    def retryable(self) -> bool:  # type: ignore[override]
        """Only documented transient codes are worth another try."""
        return self.errcode in self.TRANSIENT


class TokenExpired(SendFailed):
    """The access token was refused even after fetching a fresh one."""

    @property
    def retryable(self) -> bool:  # type: ignore[override]
        """Always worth another try later."""
        return True


class RateLimited(SendFailed):
    """The platform throttled this sender (WeCom 45009, DingTalk 130101); try again after ``retry_after`` seconds."""

    def __init__(self, errcode: int | None, errmsg: str = "", retry_after: float = 60.0):
        super().__init__(errcode, errmsg)
        self.retry_after = retry_after

    @property
    def retryable(self) -> bool:  # type: ignore[override]
        """Always worth another try later."""
        return True


def raise_for_errcode(data: dict, *, rate_limited: int, retry_after: float, token_refused) -> None:
    """Turn a platform's error answer ({"errcode", "errmsg"}) into the matching typed exception."""
    code = int(data.get("errcode") or 0)
    if code == 0:
        return
    msg = str(data.get("errmsg", ""))
    if code == rate_limited:
        raise RateLimited(code, msg, retry_after=retry_after)
    if token_refused(data):
        raise TokenExpired(code, msg)
    raise SendFailed(code, msg)
