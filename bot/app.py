"""The Flask application factory: every channel on one dispatcher, plus /healthz."""
from __future__ import annotations

import logging
from typing import Any

from flask import Flask, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from bot.channels.answering import Answerer
from bot.channels.safety import MAX_BODY, Rejected, rejection_response

log = logging.getLogger(__name__)

DEFAULTS = {
    "MAX_CONTENT_LENGTH": MAX_BODY,
    # WeCom gives up after 5 s; answering within 4 s leaves room for the network.
    "REPLY_WAIT_SECONDS": 4.0,
    # Threads that run handlers for the platform callbacks. Handlers are CPU-bound Python, so more threads than this
    # only add GIL contention; a run that finds them all busy waits its turn and is pushed if it misses the 4 s.
    "ANSWER_WORKERS": 8,
    "JSON_AS_ASCII": False,
}


def channel_status(config) -> dict[str, dict[str, Any]]:
    """Which channels are on, and for those off, which settings are missing."""
    wecom_missing = [n for n, v in (("WECOM_CORP_ID", config.wecom_corp_id), ("WECOM_TOKEN", config.wecom_token),
                                    ("WECOM_AES_KEY", config.wecom_aes_key)) if not v]
    ding_missing = [n for n, v in (("DINGTALK_APP_KEY", config.dingtalk_app_key),
                                   ("DINGTALK_APP_SECRET", config.dingtalk_app_secret)) if not v]
    push_missing = [n for n, v in (("WECOM_AGENT_ID", config.wecom_agent_id), ("WECOM_SECRET", config.wecom_secret))
                    if not v]
    return {
        "web": {"enabled": True},
        # "push": late and long answers go out through the app message API, which needs the agent id and secret.
        "wecom": {"enabled": not wecom_missing, "missing": wecom_missing, "push": not push_missing,
                  "push_missing": push_missing},
        "dingtalk": {"enabled": not ding_missing, "missing": ding_missing},
    }


def create_app(services=None, config: dict[str, Any] | None = None) -> Flask:
    """Build the app on the given services (default: from the environment); ``config`` overrides Flask settings."""
    if services is None:
        from bot.services import build_services

        services = build_services()
    app = Flask(__name__, static_folder=None)
    app.config.update(DEFAULTS)
    app.config.update(config or {})
    app.json.ensure_ascii = False
    app.extensions["bot.services"] = services
    app.extensions["bot.answerer"] = Answerer(services, max_workers=app.config["ANSWER_WORKERS"])

    from bot.channels import dingtalk, web, wecom

    app.register_blueprint(web.bp)
    status = channel_status(services.config)
    if status["wecom"]["enabled"]:
        from bot.channels.wecom_crypto import WeComCrypto

        try:
            app.extensions["bot.wecom_crypto"] = WeComCrypto(
                services.config.wecom_token, services.config.wecom_aes_key, services.config.wecom_corp_id,
                now=lambda: services.clock().timestamp())
            app.register_blueprint(wecom.bp)
        except ValueError:
            status["wecom"].update(enabled=False, missing=["WECOM_AES_KEY（应为 43 位 EncodingAESKey）"])
    if status["dingtalk"]["enabled"]:
        app.register_blueprint(dingtalk.bp)
    if status["wecom"]["enabled"] and not status["wecom"]["push"]:
        log.warning("wecom answers later than 4 s or longer than 2048 bytes cannot be pushed: missing %s",
                    ", ".join(status["wecom"]["push_missing"]))
    for name in ("wecom", "dingtalk"):
        if not status[name]["enabled"]:
            log.info("channel %s is off: missing %s", name, ", ".join(status[name]["missing"]))
            _register_off(app, name, status[name]["missing"])

    @app.errorhandler(Rejected)
    def _rejected(err: Rejected):
        return rejection_response(err)

    @app.errorhandler(413)
    def _too_large(_err):
        return jsonify(error=f"请求体过大（上限 {MAX_BODY // 1024} KiB）"), 413

    @app.errorhandler(404)
    def _not_found(_err):
        return jsonify(error="没有这个地址"), 404

    @app.errorhandler(405)
    def _bad_method(_err):
        return jsonify(error="不支持这种请求方法"), 405

    @app.errorhandler(500)
    def _server_error(_err):
        # Flask has logged the traceback; the caller gets a sentence, not a page.
        return jsonify(error="服务器内部错误，请稍后再试"), 500

    @app.get("/healthz")
    def healthz():
        """Liveness, the database, and which channels are on; 503 when the database does not answer."""
        try:
            with services.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except SQLAlchemyError as err:
            log.warning("health check: database unavailable: %s", type(err).__name__)
            return jsonify(status="error", database="unavailable", channels=status), 503
        return jsonify(status="ok", database="ok", channels=status)

    return app


def _register_off(app: Flask, name: str, missing: list[str]) -> None:
    # A platform pointed at a channel we have not configured gets a clear answer instead of a bare 404.
    def off():
        return jsonify(error=f"该渠道未启用：缺少 {', '.join(missing)}"), 404

    app.add_url_rule(f"/{name}/callback", f"{name}_off", off, methods=["GET", "POST"])
