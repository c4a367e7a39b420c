"""Fake DingTalk API: accessToken, work notifications, signed custom robots (20 per minute) and session webhooks.

Kinds recorded: "token", "work_notice", "robot", "session". ``FakeDingTalk(clock=None, app_key="ding-key",
app_secret="ding-secret", agent_id="2000001", token_ttl=7200, robot_limit=20, throttle_seconds=600)``;
``add_robot(access_token, secret)`` registers a custom robot whose URL must be signed with ``secret`` (unknown tokens
get 300001, bad or stale signatures 310000, the 21st message in a minute 130101 and a throttle of
``throttle_seconds``); ``config_overrides()`` gives the Config fields that point a client at this fake (both the
old ``oapi`` and the new ``api`` bases are this server). The signature check below is written independently of
``bot.outbound``.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime, timedelta, timezone
from typing import Any

from werkzeug.wrappers import Request

from tests.fakes.base import FakeServer, RateWindow

ROUTES = {"/v1.0/oauth2/accessToken": "token", "/topapi/message/corpconversation/asyncsend_v2": "work_notice",
          "/robot/send": "robot", "/robot/sendBySession": "session"}


def _expected_sign(secret: str, timestamp: str) -> str:
    digest = hmac.new(secret.encode(), (timestamp + "\n" + secret).encode(), digestmod=hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def _msg_error(msg: Any) -> dict | None:
    if not isinstance(msg, dict):
        return {"errcode": 40035, "errmsg": "缺少参数 msg"}
    kind = msg.get("msgtype")
    if kind == "text" and isinstance(msg.get("text"), dict) and msg["text"].get("content"):
        return None
    if kind == "markdown" and isinstance(msg.get("markdown"), dict) and msg["markdown"].get("title") \
            and msg["markdown"].get("text"):
        return None
    return {"errcode": 40035, "errmsg": "缺少参数 msg 内容"}


class FakeDingTalk(FakeServer):
    """Speaks the DingTalk push API contract and records what arrives."""

    def __init__(self, clock=None, app_key: str = "ding-key", app_secret: str = "ding-secret",
                 agent_id: str = "2000001", token_ttl: int = 7200, robot_limit: int = 20,
                 throttle_seconds: float = 600):
        super().__init__(clock)
        self.app_key, self.app_secret, self.agent_id, self.token_ttl = app_key, app_secret, agent_id, token_ttl
        self.robots: dict[str, str] = {}
        self.window = RateWindow(robot_limit, 60.0)
        self.throttle = timedelta(seconds=throttle_seconds)
        self._throttled_until: dict[str, datetime] = {}
        self._task = 0

    def add_robot(self, access_token: str, secret: str) -> tuple[str, str]:
        """Register a custom group robot; returns (access_token, secret)."""
        self.robots[access_token] = secret
        return access_token, secret

    def config_overrides(self) -> dict:
        """Config fields pointing a DingTalkApi at this fake."""
        return dict(dingtalk_api_base=self.url, dingtalk_openapi_base=self.url, dingtalk_app_key=self.app_key,
                    dingtalk_app_secret=self.app_secret, dingtalk_agent_id=self.agent_id)

    def env(self) -> dict:
        """Environment variables pointing a ``python -m bot`` subprocess at this fake."""
        return dict(DINGTALK_API_BASE=self.url, DINGTALK_OPENAPI_BASE=self.url, DINGTALK_APP_KEY=self.app_key,
                    DINGTALK_APP_SECRET=self.app_secret, DINGTALK_AGENT_ID=self.agent_id)

    def kind_of(self, request: Request) -> str:
        """The kind of API a request is for, from its path."""
        return ROUTES.get(request.path, "unknown")

    def route(self, request: Request, body: Any) -> tuple[str, int, dict]:
        """Answer one request as the platform would: (kind, HTTP status, JSON body)."""
        kind = self.kind_of(request)
        if request.method != "POST":
            return kind, 405, {"errcode": 405, "errmsg": "method not allowed"}
        if kind == "token":
            return self._token(body)
        if kind == "work_notice":
            return kind, 200, self._work_notice(request.args.get("access_token"), body)
        if kind == "robot":
            return kind, 200, self._robot(request.args, body)
        if kind == "session":
            return kind, 200, _msg_error(body) or {"errcode": 0, "errmsg": "ok"}
        return kind, 404, {"errcode": 404, "errmsg": "not found"}

    def _token(self, body: Any) -> tuple[str, int, dict]:
        if not isinstance(body, dict) or body.get("appKey") != self.app_key \
                or body.get("appSecret") != self.app_secret:
            return "token", 400, {"code": "invalidClientIdOrSecret", "message": "无效的clientId或clientSecret"}
        return "token", 200, {"accessToken": self.issue_token(self.token_ttl), "expireIn": self.token_ttl}

    def _work_notice(self, token: str | None, body: Any) -> dict:
        state = self.token_state(token)
        if state == "invalid":
            return {"errcode": 40014, "errmsg": "不合法的access_token"}
        if state == "expired":
            return {"errcode": 42001, "errmsg": "access_token超时"}
        if not isinstance(body, dict) or str(body.get("agent_id")) != self.agent_id:
            return {"errcode": 40035, "errmsg": "agent_id 不合法"}
        if not str(body.get("userid_list") or "").strip():
            return {"errcode": 40035, "errmsg": "缺少参数 userid_list"}
        error = _msg_error(body.get("msg"))
        if error:
            return error
        self._task += 1
        return {"errcode": 0, "errmsg": "ok", "task_id": self._task, "request_id": f"req{self._task}"}

    def _robot(self, args, body: Any) -> dict:
        token = args.get("access_token")
        if token not in self.robots:
            return {"errcode": 300001, "errmsg": "token is not exist"}
        secret = self.robots[token]
        if secret:
            ts, sign = args.get("timestamp", ""), args.get("sign", "")
            if not ts.isdigit():
                return {"errcode": 310000, "errmsg": "sign not match: missing timestamp"}
            sent = datetime.fromtimestamp(int(ts) / 1000, tz=timezone.utc)
            if abs((self.clock() - sent).total_seconds()) > 3600:
                return {"errcode": 310000, "errmsg": "invalid timestamp"}
            if not hmac.compare_digest(sign.encode(), _expected_sign(secret, ts).encode()):
                return {"errcode": 310000, "errmsg": "sign not match"}
        error = _msg_error(body)
        if error:
            return error
        now = self.clock()
        if token in self._throttled_until and now < self._throttled_until[token]:
            return {"errcode": 130101, "errmsg": "send too fast, exceed 20 times per minute"}
        if not self.window.allow(token, now):
            self._throttled_until[token] = now + self.throttle
            return {"errcode": 130101, "errmsg": "send too fast, exceed 20 times per minute"}
        return {"errcode": 0, "errmsg": "ok"}
