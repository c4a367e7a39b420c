"""Answers that leave after the HTTP response: WeCom app messages and DingTalk sessionWebhook posts."""
from __future__ import annotations

import logging
import time
from typing import Callable

from bot.outbound.errors import OutboundError

log = logging.getLogger(__name__)

RETRY_DELAYS = (1.0, 3.0)  # seconds before the second and third attempt of a part that failed transiently


def _send_with_retries(send: Callable[[], object], what: str) -> bool:
    """Send one part; retry transient failures a little; True when it went through."""
    delays = RETRY_DELAYS
    for attempt, delay in enumerate((0.0, *delays), start=1):
        if delay:
            time.sleep(delay)
        try:
            send()
            return True
        except OutboundError as err:
            if not err.retryable or attempt > len(delays):
                log.warning("could not push %s (attempt %d): %s", what, attempt, err)
                return False
            log.info("push of %s failed transiently (attempt %d): %s", what, attempt, err)
    return False


def wecom_push(services, user_id: str, parts: list[str]) -> None:
    """Send text parts to one WeCom user through the app message API, in order; stop at the first lost part."""
    from bot.outbound.wecom import WeComApi  # imported when needed: the HTTP client is not on the fast path

    api = WeComApi(services.config, services.sessions, services.clock)
    for i, part in enumerate(parts, start=1):
        if not _send_with_retries(lambda p=part: api.send_app_message(touser=user_id, msgtype="text", content=p),
                                  f"part {i}/{len(parts)} to wecom user {user_id}"):
            return
    log.info("pushed %d part(s) to wecom user %s", len(parts), user_id)


def dingtalk_push(services, session_webhook: str, payloads: list[dict]) -> None:
    """Post reply payloads to a DingTalk conversation's sessionWebhook, in order; stop at the first lost part."""
    from bot.outbound.dingtalk import DingTalkApi

    api = DingTalkApi(services.config, services.sessions, services.clock)
    for i, payload in enumerate(payloads, start=1):
        # The webhook URL carries a session token: it stays out of the log.
        if not _send_with_retries(lambda p=payload: api.post_session_webhook(session_webhook, p),
                                  f"part {i}/{len(payloads)} to a dingtalk sessionWebhook"):
            return
    log.info("pushed %d part(s) to a dingtalk sessionWebhook", len(payloads))
