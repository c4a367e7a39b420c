"""WeCom (企业微信) active push: app messages and group-robot webhooks.

API pages: https://developer.work.weixin.qq.com/document/path/91039 (gettoken),
https://developer.work.weixin.qq.com/document/path/90236 (message/send),
https://developer.work.weixin.qq.com/document/path/91770 (group robot webhook).
"""
from __future__ import annotations

import logging
from typing import Iterable

from bot.outbound.client import TokenApiClient
from bot.outbound import errors
from bot.outbound.errors import InvalidMessage, NotConfigured, SendFailed
from bot.outbound.http import call_json

log = logging.getLogger(__name__)

TOKEN_ERRORS = frozenset({40014, 42001})  # invalid / expired access_token
RATE_LIMITED = 45009
ROBOT_WINDOW_SECONDS = 60.0
# Byte limits from the docs: text 2048, markdown 4096.
MAX_BYTES = {"text": 2048, "markdown": 4096}


def _check_content(msgtype: str, content: str) -> None:
    if msgtype not in MAX_BYTES:
        raise InvalidMessage(f"unsupported WeCom msgtype {msgtype!r}")
    if not content or not content.strip():
        raise InvalidMessage("empty message")
    size = len(content.encode("utf-8"))
    if size > MAX_BYTES[msgtype]:
        raise InvalidMessage(f"{msgtype} content is {size} bytes; WeCom accepts at most {MAX_BYTES[msgtype]}")


def _join(ids: str | Iterable[str]) -> str:
    if isinstance(ids, str):
        return ids
    return "|".join(i for i in ids if i)


def token_refused(data: dict) -> bool:
    """True when the answer says the access token is invalid or expired."""
    return int(data.get("errcode") or 0) in TOKEN_ERRORS


def raise_for_errcode(data: dict) -> None:
    """Turn a WeCom error answer into the matching typed exception."""
    errors.raise_for_errcode(data, rate_limited=RATE_LIMITED,
                             retry_after=ROBOT_WINDOW_SECONDS, token_refused=token_refused)


class WeComApi(TokenApiClient):
    """Client for WeCom's message APIs; the access token is cached in the database and shared by workers."""

    platform = "WeCom"

    @property
    def base(self) -> str:
        """API base URL without a trailing slash."""
        return self.config.wecom_api_base.rstrip("/")

    @property
    def token_name(self) -> str:
        """Key of this app's token in the shared cache."""
        return f"wecom:{self.config.wecom_corp_id}:{self.config.wecom_agent_id}"

    def _fetch_token(self) -> tuple[str, int]:
        if not (self.config.wecom_corp_id and self.config.wecom_secret):
            raise NotConfigured("WeCom app messages need WECOM_CORP_ID and WECOM_SECRET")
        data = call_json(self.http, "GET", f"{self.base}/cgi-bin/gettoken", timeout=self.timeout,
                         params={"corpid": self.config.wecom_corp_id, "corpsecret": self.config.wecom_secret})
        raise_for_errcode(data)
        if not data.get("access_token"):
            raise SendFailed(None, "gettoken answered without access_token")
        return str(data["access_token"]), int(data.get("expires_in") or 7200)

    def send_app_message(self, *, touser: str | Iterable[str] = (), toparty: str | Iterable[str] = (),
                         totag: str | Iterable[str] = (), msgtype: str = "text", content: str) -> dict:
        """Send a text or markdown app message to users ("@all" allowed), departments and tags."""
        _check_content(msgtype, content)
        if not self.config.wecom_agent_id:
            raise NotConfigured("WeCom app messages need WECOM_AGENT_ID")
        body: dict = {"msgtype": msgtype, msgtype: {"content": content}}
        for field, ids in (("touser", touser), ("toparty", toparty), ("totag", totag)):
            joined = _join(ids)
            if joined:
                body[field] = joined
        if not any(k in body for k in ("touser", "toparty", "totag")):
            raise InvalidMessage("an app message needs at least one user, department or tag")
        try:
            body["agentid"] = int(self.config.wecom_agent_id)
        except ValueError:
            raise NotConfigured("WECOM_AGENT_ID must be a number") from None
        data = self.post_with_token(f"{self.base}/cgi-bin/message/send", body, token_refused)
        raise_for_errcode(data)
        for key in ("invaliduser", "invalidparty", "invalidtag"):
            if data.get(key):
                log.warning("WeCom app message: %s %s", key, data[key])
        return data

    def send_robot(self, key: str, msgtype: str, content: str) -> dict:
        """Post a text or markdown message through a group robot's webhook key."""
        _check_content(msgtype, content)
        if not key:
            raise InvalidMessage("a WeCom group robot needs its webhook key")
        body = {"msgtype": msgtype, msgtype: {"content": content}}
        data = call_json(self.http, "POST", f"{self.base}/cgi-bin/webhook/send", params={"key": key}, json=body,
                         timeout=self.timeout)
        raise_for_errcode(data)
        return data
