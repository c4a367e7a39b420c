"""Fake WeCom API: gettoken, message/send (app messages) and webhook/send (group robots, 20 per minute).

Kinds recorded: "token", "app", "robot". ``FakeWeCom(clock=None, corp_id="ww-test", secret="corp-secret",
agent_id="1000002", token_ttl=7200, robot_limit=20)``; ``add_robot(key)`` registers a webhook key (unknown keys get
93000); ``config_overrides()`` gives the Config fields that point a client at this fake.
"""
from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Request

from tests.fakes.base import FakeServer, RateWindow

ROUTES = {"/cgi-bin/gettoken": "token", "/cgi-bin/message/send": "app", "/cgi-bin/webhook/send": "robot"}
LIMITS = {"text": 2048, "markdown": 4096}


def _content_error(body: Any) -> dict | None:
    if not isinstance(body, dict) or body.get("msgtype") not in LIMITS:
        return {"errcode": 40008, "errmsg": "invalid message type"}
    part = body.get(body["msgtype"])
    content = part.get("content") if isinstance(part, dict) else None
    if not isinstance(content, str) or not content:
        return {"errcode": 44004, "errmsg": "empty content"}
    if len(content.encode("utf-8")) > LIMITS[body["msgtype"]]:
        return {"errcode": 40058, "errmsg": "content exceed max length"}
    return None


class FakeWeCom(FakeServer):
    """Speaks the WeCom message API contract and records what arrives."""

    def __init__(self, clock=None, corp_id: str = "ww-test", secret: str = "corp-secret", agent_id: str = "1000002",
                 token_ttl: int = 7200, robot_limit: int = 20):
        super().__init__(clock)
        self.corp_id, self.secret, self.agent_id, self.token_ttl = corp_id, secret, agent_id, token_ttl
        self.robots: set[str] = set()
        self.window = RateWindow(robot_limit, 60.0)
        self._msgid = 0

    def add_robot(self, key: str) -> str:
        """Register a group robot webhook key; returns it."""
        self.robots.add(key)
        return key

    def config_overrides(self) -> dict:
        """Config fields pointing a WeComApi at this fake."""
        return dict(wecom_api_base=self.url, wecom_corp_id=self.corp_id, wecom_secret=self.secret,
                    wecom_agent_id=self.agent_id)

    def env(self) -> dict:
        """Environment variables pointing a ``python -m bot`` subprocess at this fake."""
        return dict(WECOM_API_BASE=self.url, WECOM_CORP_ID=self.corp_id, WECOM_SECRET=self.secret,
                    WECOM_AGENT_ID=self.agent_id)

    def kind_of(self, request: Request) -> str:
        """The kind of API a request is for, from its path."""
        return ROUTES.get(request.path, "unknown")

    def route(self, request: Request, body: Any) -> tuple[str, int, dict]:
        """Answer one request as the platform would: (kind, HTTP status, JSON body)."""
        kind = self.kind_of(request)
        if kind == "token" and request.method == "GET":
            return kind, 200, self._gettoken(request.args)
        if kind == "app" and request.method == "POST":
            return kind, 200, self._app_message(request.args.get("access_token"), body)
        if kind == "robot" and request.method == "POST":
            return kind, 200, self._robot(request.args.get("key"), body)
        return kind, 404, {"errcode": 404, "errmsg": "not found"}

    def _gettoken(self, args) -> dict:
        if args.get("corpid") != self.corp_id:
            return {"errcode": 40013, "errmsg": "invalid corpid"}
        if args.get("corpsecret") != self.secret:
            return {"errcode": 40001, "errmsg": "invalid credential"}
        return {"errcode": 0, "errmsg": "ok", "access_token": self.issue_token(self.token_ttl),
                "expires_in": self.token_ttl}

    def _app_message(self, token: str | None, body: Any) -> dict:
        state = self.token_state(token)
        if state == "invalid":
            return {"errcode": 40014, "errmsg": "invalid access_token"}
        if state == "expired":
            return {"errcode": 42001, "errmsg": "access_token expired"}
        error = _content_error(body)
        if error:
            return error
        if str(body.get("agentid")) != self.agent_id:
            return {"errcode": 40056, "errmsg": "invalid agentid"}
        if not any(body.get(k) for k in ("touser", "toparty", "totag")):
            return {"errcode": 40031, "errmsg": "invalid user list"}
        self._msgid += 1
        return {"errcode": 0, "errmsg": "ok", "invaliduser": "", "msgid": f"msg{self._msgid}"}

    def _robot(self, key: str | None, body: Any) -> dict:
        if not key or key not in self.robots:
            return {"errcode": 93000, "errmsg": "invalid webhook url"}
        error = _content_error(body)
        if error:
            return error
        if not self.window.allow(key, self.clock()):
            return {"errcode": 45009, "errmsg": "api freq out of limit"}
        return {"errcode": 0, "errmsg": "ok"}
