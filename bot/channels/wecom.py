"""WeCom self-built app callback: verify, decrypt, dispatch once, answer with an encrypted passive reply."""
from __future__ import annotations

import logging

from flask import Blueprint, Response, current_app, request

from bot.channels.push import wecom_push
from bot.channels.replies import NOT_TEXT, WELCOME, render_text, split_text
from bot.channels.safety import Rejected, parse_xml_fields, query_fields, read_body, rejection_response
from bot.channels.wecom_crypto import WeComCrypto, text_reply_xml
from bot.core.message import Message, Reply

log = logging.getLogger(__name__)

bp = Blueprint("wecom", __name__)

TEXT_LIMIT = 2048  # bytes per WeCom text message
NON_TEXT_TYPES = {"image", "voice", "video", "file", "location", "link", "miniprogram"}


@bp.errorhandler(Rejected)
def _rejected(err: Rejected):
    log.info("wecom callback refused: %s %s", err.status, err.reason)
    return rejection_response(err)


# Each attribute read through Flask's `request`/`current_app` proxies is a context lookup; the routes below read
# each proxy once and pass plain objects on.
def _args(args) -> tuple[str, str, str]:
    sig, ts, nonce = args.get("msg_signature", ""), args.get("timestamp", ""), args.get("nonce", "")
    if not (sig and ts and nonce):
        raise Rejected(400, "缺少 msg_signature、timestamp 或 nonce 参数")
    return sig, ts, nonce


@bp.get("/wecom/callback")
def verify_url():
    """URL verification: return the decrypted echostr, alone."""
    args = request.args
    sig, ts, nonce = _args(args)
    echostr = args.get("echostr", "")
    if not echostr:
        raise Rejected(400, "缺少 echostr 参数")
    plain = current_app.extensions["bot.wecom_crypto"].decrypt(sig, ts, nonce, echostr)
    return Response(plain, mimetype="text/plain")


@bp.post("/wecom/callback")
def receive():
    """An encrypted message or event; the reply is encrypted XML, or an empty 200 when it is pushed later."""
    req = request._get_current_object()
    sig, ts, nonce = _args(query_fields(req.environ))
    outer = parse_xml_fields(read_body(req))
    encrypt = outer.get("Encrypt", "")
    if not encrypt:
        raise Rejected(400, "XML 中缺少 Encrypt 字段")
    app = current_app._get_current_object()
    crypto: WeComCrypto = app.extensions["bot.wecom_crypto"]
    inner = parse_xml_fields(crypto.decrypt(sig, ts, nonce, encrypt).encode("utf-8"))
    services = app.extensions["bot.services"]
    user_id, msg_type = inner.get("FromUserName", ""), inner.get("MsgType", "")
    if not user_id or not msg_type:
        raise Rejected(400, "消息缺少 FromUserName 或 MsgType")
    if msg_type == "event":
        if inner.get("Event") == "enter_agent":
            return _passive(crypto, services, user_id, WELCOME)
        return Response(b"", status=200)  # other events (menu clicks, subscriptions) need no answer
    if msg_type in NON_TEXT_TYPES:
        return _passive(crypto, services, user_id, NOT_TEXT)
    if msg_type != "text":
        raise Rejected(400, f"不支持的消息类型：{msg_type[:32]}")
    msg_id = inner.get("MsgId") or f"{user_id}:{inner.get('CreateTime', '')}"
    msg = Message(channel="wecom", chat_id=user_id, user_id=user_id, text=inner.get("Content", "")[:4000],
                  msg_id=msg_id)
    return _answer(app, crypto, services, msg)


def _answer(app, crypto: WeComCrypto, services, msg: Message) -> Response:
    answerer = app.extensions["bot.answerer"]

    def push_all(reply: Reply) -> None:
        wecom_push(services, msg.user_id, split_text(render_text(reply), TEXT_LIMIT))

    outcome = answerer.answer(msg, app.config["REPLY_WAIT_SECONDS"], push_all)
    if outcome.reply is None:
        return Response(b"", status=200)
    first, *rest = split_text(render_text(outcome.reply), TEXT_LIMIT)
    if rest and not outcome.duplicate:
        answerer.later(lambda: wecom_push(services, msg.user_id, rest), f"rest of wecom {msg.msg_id}")
    return _passive(crypto, services, msg.user_id, first)


def _passive(crypto: WeComCrypto, services, user_id: str, content: str) -> Response:
    xml = text_reply_xml(user_id, services.config.wecom_corp_id, content, int(services.clock().timestamp()))
    return Response(crypto.reply(xml), mimetype="application/xml")
