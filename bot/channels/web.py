"""The web chat page at ``/`` and its JSON endpoint ``POST /api/chat``."""
from __future__ import annotations

import logging
import re
import secrets

from flask import Blueprint, current_app, jsonify, render_template, request

from bot.channels.replies import citation_lines
from bot.channels.safety import Rejected, clean_text, parse_json_object, read_body, rejection_response
from bot.core.message import Message

log = logging.getLogger(__name__)

bp = Blueprint("web", __name__, template_folder="../web/templates", static_folder="../web/static",
               static_url_path="/static")

MAX_CHAT_BODY = 16 * 1024
MAX_TEXT = 1000
_SESSION = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


@bp.errorhandler(Rejected)
def _rejected(err: Rejected):
    return rejection_response(err)


@bp.get("/")
def page():
    """The chat page; everything it needs is served from /static."""
    return render_template("chat.html")


@bp.post("/api/chat")
def chat():
    """``{"text", "session"}`` in; ``{"text", "markdown"?, "sources", "citations", "session"}`` out."""
    data = parse_json_object(read_body(request, MAX_CHAT_BODY))
    text = clean_text(data.get("text"), limit=MAX_TEXT + 1)
    if len(text) > MAX_TEXT:
        raise Rejected(400, f"消息太长了，请控制在 {MAX_TEXT} 字以内")
    session = data.get("session")
    if not isinstance(session, str) or not _SESSION.match(session):
        session = secrets.token_urlsafe(12)
    services = current_app.extensions["bot.services"]
    msg = Message(channel="web", chat_id=session, user_id=session, text=text, msg_id=None)
    reply = services.dispatcher.dispatch(msg)
    body = reply.to_json()
    body["citations"] = citation_lines(reply)
    body["session"] = session
    return jsonify(body)
