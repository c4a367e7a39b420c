"""Clients for the remote platform APIs (WeCom, DingTalk); only the delivery worker and channel adapters use them."""
from bot.outbound.errors import (
    InvalidMessage,
    NotConfigured,
    OutboundError,
    RateLimited,
    SendFailed,
    TokenExpired,
    Unreachable,
)

__all__ = ["InvalidMessage", "NotConfigured", "OutboundError", "RateLimited", "SendFailed", "TokenExpired",
           "Unreachable"]
