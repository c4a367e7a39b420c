"""DingTalk enterprise robot, HTTP mode: verify the sign, dispatch once, reply as JSON and via sessionWebhook."""
from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import re
from typing import Any

from flask import Blueprint, current_app, jsonify, request

from bot.channels.push import dingtalk_push
from bot.channels.replies import NOT_TEXT, render_markdown, render_text, split_text, wants_markdown
from bot.channels.safety import Rejected, clean_text, parse_json_object, read_body, rejection_response
from bot.core.message import Message, Reply

log = logging.getLogger(__name__)

bp = Blueprint("dingtalk", __name__)

MAX_SKEW_MS = 60 * 60 * 1000  # the platform's documented one-hour window
PART_LIMIT = 4000  # bytes per message; DingTalk's own limit is larger but undocumented
TITLE = "质量活动助手"
NON_TEXT_TYPES = {"picture", "richText", "audio", "video", "file", "interactiveCard"}
_LEADING_MENTION = re.compile(r"^(?:\s*@\S+)+\s*")


def sign(timestamp: str, secret: str) -> str:
    """base64(HMAC-SHA256(key=secret, msg=timestamp + "\\n" + secret))."""
    mac = hmac.new(secret.encode("utf-8"), f"{timestamp}\n{secret}".encode("utf-8"), hashlib.sha256)
    return base64.b64encode(mac.digest()).decode("ascii")


def verify_sign(timestamp: str, given: str, secret: str, now_ms: int) -> None:
    """Refuse a missing or wrong sign (403) or a timestamp outside the one-hour window (400)."""
    if not timestamp or not given:
        raise Rejected(403, "缺少 timestamp 或 sign 请求头")
    if not hmac.compare_digest(sign(timestamp, secret).encode(), given.encode("utf-8", "replace")):
        raise Rejected(403, "签名校验失败")
    try:
        ts = int(timestamp)
    except ValueError:
        raise Rejected(400, "时间戳格式错误") from None
    if abs(now_ms - ts) > MAX_SKEW_MS:
        raise Rejected(400, "时间戳已过期或超前，请求被拒绝")


def _field(payload: dict[str, Any], key: str, limit: int = 191) -> str:
    # Ids arrive as strings (numbers tolerated); anything else is treated as absent.
    value = payload.get(key)
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        return ""
    return str(value)[:limit]


def to_message(payload: dict[str, Any]) -> Message | None:
    """The neutral message for a DingTalk robot payload; None when a group message does not @-mention us."""
    group = _field(payload, "conversationType") == "2"
    if group and payload.get("isInAtList") is not True:
        return None
    user_id = _field(payload, "senderStaffId", 128) or _field(payload, "senderId", 128)
    if not user_id:
        raise Rejected(400, "消息缺少发送者（senderStaffId / senderId）")
    chat_id = _field(payload, "conversationId", 128) if group else user_id
    if group and not chat_id:
        raise Rejected(400, "群消息缺少 conversationId")
    text_field = payload.get("text") or {}
    if not isinstance(text_field, dict):
        raise Rejected(400, "text 字段应为对象")
    text = clean_text(text_field.get("content"))
    if group:
        text = _LEADING_MENTION.sub("", text)
    return Message(channel="dingtalk", chat_id=chat_id, user_id=user_id, text=text.strip(),
                   msg_id=_field(payload, "msgId") or None, is_group=group,
                   user_name=_field(payload, "senderNick", 64))


def render_payloads(reply: Reply, msg: Message | None = None) -> list[dict[str, Any]]:
    """The reply as DingTalk message bodies: markdown when it helps, split into parts within the size limit;
    in a group the asker is @-mentioned so the answer reaches them among the chatter."""
    if wants_markdown(reply):
        bodies = [{"msgtype": "markdown", "markdown": {"title": TITLE, "text": part}}
                  for part in split_text(render_markdown(reply), PART_LIMIT)]
    else:
        bodies = [{"msgtype": "text", "text": {"content": part}}
                  for part in split_text(render_text(reply), PART_LIMIT)]
    if msg is not None and msg.is_group:
        for body in bodies:
            body["at"] = {"atUserIds": [msg.user_id]}
    return bodies


def message_type(payload: dict[str, Any]) -> str:
    """The payload's msgtype, checked: text, a known non-text type, or a 400."""
    kind = payload.get("msgtype")
    if isinstance(kind, str) and (kind == "text" or kind in NON_TEXT_TYPES):
        return kind
    raise Rejected(400, f"不支持的消息类型：{str(kind)[:32]}")


@bp.errorhandler(Rejected)
def _rejected(err: Rejected):
    log.info("dingtalk callback refused: %s %s", err.status, err.reason)
    return rejection_response(err)


@bp.post("/dingtalk/callback")
def receive():
    """One robot message; the first part of the answer comes back in the response, the rest via sessionWebhook."""
    services = current_app.extensions["bot.services"]
    now_ms = int(services.clock().timestamp() * 1000)
    verify_sign(request.headers.get("timestamp", ""), request.headers.get("sign", ""),
                services.config.dingtalk_app_secret, now_ms)
    payload = parse_json_object(read_body(request))
    kind = message_type(payload)
    msg = to_message(payload)
    if msg is None:
        return jsonify({})  # a group message for someone else
    if kind != "text":
        return jsonify({"msgtype": "text", "text": {"content": NOT_TEXT}})
    webhook = payload.get("sessionWebhook")
    webhook = webhook if isinstance(webhook, str) and webhook.startswith(("https://", "http://")) else ""
    answerer = current_app.extensions["bot.answerer"]

    def push_all(reply: Reply) -> None:
        if not webhook:
            log.warning("late answer to dingtalk message %s lost: no sessionWebhook", msg.msg_id)
            return
        dingtalk_push(services, webhook, render_payloads(reply, msg))

    outcome = answerer.answer(msg, current_app.config["REPLY_WAIT_SECONDS"], push_all)
    if outcome.reply is None:
        return jsonify({})
    first, *rest = render_payloads(outcome.reply, msg)
    if rest and webhook and not outcome.duplicate:
        answerer.later(lambda: dingtalk_push(services, webhook, rest), f"rest of dingtalk {msg.msg_id}")
    return jsonify(first)
