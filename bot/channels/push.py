"""Answers that leave after the HTTP response: WeCom app messages and DingTalk sessionWebhook posts."""
from __future__ import annotations

import logging

log = logging.getLogger(__name__)


def wecom_push(services, user_id: str, parts: list[str]) -> None:
    """Send text parts to one WeCom user through the app message API, in order."""
    from bot.outbound.wecom import WeComApi  # imported when needed: the HTTP client is not used on the fast path

    api = WeComApi(services.config, services.sessions, services.clock)
    for part in parts:
        api.send_app_message(touser=user_id, msgtype="text", content=part)
    log.info("pushed %d part(s) to wecom user %s", len(parts), user_id)


def dingtalk_push(services, session_webhook: str, payloads: list[dict]) -> None:
    """Post reply payloads to a DingTalk conversation's sessionWebhook, in order."""
    from bot.outbound.dingtalk import DingTalkApi

    api = DingTalkApi(services.config, services.sessions, services.clock)
    for payload in payloads:
        api.post_session_webhook(session_webhook, payload)
    log.info("pushed %d part(s) to a dingtalk sessionWebhook", len(payloads))
