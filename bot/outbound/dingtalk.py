"""DingTalk (钉钉) active push: signed custom group robots, work notifications and session webhooks.

API pages: https://open.dingtalk.com/document/robots/custom-robot-access (custom robot, signing),
https://open.dingtalk.com/document/orgapp/obtain-the-access_token-of-an-internal-app (accessToken),
https://open.dingtalk.com/document/orgapp/asynchronous-sending-of-enterprise-session-messages (asyncsend_v2).
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import logging
from typing import Iterable

from bot.outbound.client import TokenApiClient
from bot.outbound import errors
from bot.outbound.errors import InvalidMessage, NotConfigured, SendFailed
from bot.outbound.http import call_json

log = logging.getLogger(__name__)

TOKEN_ERRORS = frozenset({40014, 42001, 40001})  # invalid / expired / unauthorised access_token
RATE_LIMITED = 130101
# After 130101 DingTalk throttles the robot for ten minutes.
THROTTLE_SECONDS = 600.0
MAX_USERIDS = 100


def robot_sign(secret: str, timestamp_ms: int) -> str:
    """base64(HMAC-SHA256(secret, "timestamp\\nsecret")); requests URL-encodes it into the query."""
    mac = hmac.new(secret.encode("utf-8"), f"{timestamp_ms}\n{secret}".encode("utf-8"), hashlib.sha256)
    return base64.b64encode(mac.digest()).decode("ascii")


def message_body(msgtype: str, content: str, title: str | None = None) -> dict:
    """A robot/work-notice ``msg`` object for text or markdown (markdown needs a title; the first line serves)."""
    if not content or not content.strip():
        raise InvalidMessage("empty message")
    if msgtype == "text":
        return {"msgtype": "text", "text": {"content": content}}
    if msgtype == "markdown":
        title = title or content.strip().splitlines()[0].lstrip("#> ").strip()[:64] or "通知"
        return {"msgtype": "markdown", "markdown": {"title": title, "text": content}}
    raise InvalidMessage(f"unsupported DingTalk msgtype {msgtype!r}")


def _sub_code(data: dict) -> int | None:
    try:
        return int(data.get("sub_code"))
    except (TypeError, ValueError):
        return None


def token_refused(data: dict) -> bool:
    """True when the answer says the access token is invalid or expired."""
    return int(data.get("errcode") or 0) in TOKEN_ERRORS or _sub_code(data) in TOKEN_ERRORS


def raise_for_errcode(data: dict) -> None:
    """Turn a DingTalk error answer into the matching typed exception."""
    errors.raise_for_errcode(data, rate_limited=RATE_LIMITED,
                             retry_after=THROTTLE_SECONDS, token_refused=token_refused)


class DingTalkApi(TokenApiClient):
    """Client for DingTalk's push APIs; the app access token is cached in the database and shared by workers."""

    platform = "DingTalk"

    @property
    def api(self) -> str:
        """Base of the old-style API (robots, topapi)."""
        return self.config.dingtalk_api_base.rstrip("/")

    @property
    def openapi(self) -> str:
        """Base of the new-style API (oauth2 tokens)."""
        return self.config.dingtalk_openapi_base.rstrip("/")

    @property
    def token_name(self) -> str:
        """Key of this app's token in the shared cache."""
        return f"dingtalk:{self.config.dingtalk_app_key}"

    def _fetch_token(self) -> tuple[str, int]:
        if not (self.config.dingtalk_app_key and self.config.dingtalk_app_secret):
            raise NotConfigured("DingTalk work notices need DINGTALK_APP_KEY and DINGTALK_APP_SECRET")
        data = call_json(self.http, "POST", f"{self.openapi}/v1.0/oauth2/accessToken", timeout=self.timeout,
                         json={"appKey": self.config.dingtalk_app_key, "appSecret": self.config.dingtalk_app_secret})
        if not data.get("accessToken"):
            # The new-style API answers errors as {"code", "message"} with HTTP 4xx.
            raise SendFailed(None, str(data.get("message") or data.get("code") or "no accessToken"))
        return str(data["accessToken"]), int(data.get("expireIn") or 7200)

    def send_robot(self, access_token: str, secret: str, msgtype: str, content: str, title: str | None = None) -> dict:
        """Post to a custom group robot, signing the URL with the robot's secret."""
        body = message_body(msgtype, content, title)
        if not access_token:
            raise InvalidMessage("a DingTalk group robot needs its access token")
        params = {"access_token": access_token}
        if secret:
            ts = int(self.clock().timestamp() * 1000)
            params.update(timestamp=str(ts), sign=robot_sign(secret, ts))
        data = call_json(self.http, "POST", f"{self.api}/robot/send", params=params, json=body, timeout=self.timeout)
        raise_for_errcode(data)
        return data

    def send_work_notice(self, userids: Iterable[str], msgtype: str, content: str, title: str | None = None) -> dict:
        """Send a work notification (工作通知) to up to 100 users of the organisation."""
        ids = [u for u in ([userids] if isinstance(userids, str) else userids) if u]
        if not ids:
            raise InvalidMessage("a work notice needs at least one user id")
        if len(ids) > MAX_USERIDS:
            raise InvalidMessage(f"a work notice reaches at most {MAX_USERIDS} users per call, got {len(ids)}")
        if not self.config.dingtalk_agent_id:
            raise NotConfigured("DingTalk work notices need DINGTALK_AGENT_ID")
        try:
            agent_id = int(self.config.dingtalk_agent_id)
        except ValueError:
            raise NotConfigured("DINGTALK_AGENT_ID must be a number") from None
        body = {"agent_id": agent_id, "userid_list": ",".join(ids), "msg": message_body(msgtype, content, title)}
        data = self.post_with_token(f"{self.api}/topapi/message/corpconversation/asyncsend_v2", body, token_refused)
        raise_for_errcode(data)
        return data

    def post_session_webhook(self, url: str, payload: dict) -> dict:
        """Reply through a message's sessionWebhook; only URLs on the configured DingTalk API host are accepted."""
        if not url.startswith(self.api + "/"):
            # The URL arrives inside an incoming message: never let it point the bot elsewhere.
            raise InvalidMessage("sessionWebhook is not on the DingTalk API host")
        data = call_json(self.http, "POST", url, json=payload, timeout=self.timeout)
        raise_for_errcode(data)
        return data
