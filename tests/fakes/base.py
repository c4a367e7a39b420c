"""A real HTTP server on 127.0.0.1 (port 0, in a thread) that records every request it answers.

Shared API of every fake (``FakeWeCom``, ``FakeDingTalk``):

- ``FakeServer(clock=None)``: ``clock`` is any zero-argument callable returning an aware datetime (e.g.
  ``bot.core.clock.FrozenClock``); token expiry, signature freshness and rate-limit windows all follow it.
- ``with fake:`` / ``fake.start()`` / ``fake.stop()``; ``fake.url`` is ``http://127.0.0.1:PORT``.
- ``fake.arrivals``: every request as an ``Arrival`` (kind, path, query, body, at, status, response).
- ``fake.delivered(kind=None)``: only the arrivals the platform accepted (errcode 0), optionally of one kind.
- ``fake.inject(kind, errcode, errmsg="injected failure", times=1, status=200)``: the next ``times`` requests of
  that kind fail with the given errcode (or HTTP ``status`` >= 500 with no JSON) before any other check.
- ``fake.expire_tokens()``: every token issued so far is now expired (the platform revoked them early).
- ``fake.tokens_issued``: how many access tokens were handed out.
- ``fake.delay``: seconds each request takes (real time), to make a run slow enough to interrupt.
"""
from __future__ import annotations

import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

MAX_BODY = 64 * 1024


@dataclass
class Arrival:
    """One request the fake answered."""

    kind: str  # "token", "app", "robot", "work_notice", "session", "unknown"
    path: str
    query: dict[str, str]
    body: Any
    at: datetime
    status: int
    response: dict = field(default_factory=dict)

    @property
    def errcode(self) -> int:
        """The errcode answered (0 when accepted)."""
        return int(self.response.get("errcode") or 0) if self.status < 400 else -1


@dataclass
class _Fault:
    kind: str
    errcode: int
    errmsg: str
    times: int
    status: int


class RateWindow:
    """At most ``limit`` accepted messages per key in any ``seconds``-long window (as the platforms document)."""

    def __init__(self, limit: int = 20, seconds: float = 60.0):
        self.limit = limit
        self.window = timedelta(seconds=seconds)
        self._sent: dict[str, deque] = {}

    def allow(self, key: str, now: datetime) -> bool:
        """Record and allow one message, or refuse it when the window is full."""
        q = self._sent.setdefault(key, deque())
        while q and q[0] <= now - self.window:
            q.popleft()
        if len(q) >= self.limit:
            return False
        q.append(now)
        return True


class _QuietHandler(WSGIRequestHandler):
    # The fake's access log would print tokens and keys from query strings.
    def log_request(self, *args, **kwargs) -> None:
        """Log nothing."""
        pass


def _system_now() -> datetime:
    return datetime.now(timezone.utc)


class FakeServer:
    """Base class: subclasses implement ``route(request, body) -> (kind, status, response_dict)``."""

    def __init__(self, clock: Callable[[], datetime] | None = None):
        self.clock = clock or _system_now
        self.arrivals: list[Arrival] = []
        self.tokens_issued = 0
        self._tokens: dict[str, datetime] = {}
        self._faults: list[_Fault] = []
        self._lock = threading.Lock()
        self._server = None
        self._thread = None
        self.delay = 0.0

    # --- lifecycle -------------------------------------------------------------------------------------------
    def start(self) -> "FakeServer":
        """Start serving on 127.0.0.1 on a free port."""
        self._server = make_server("127.0.0.1", 0, self._wsgi, threaded=True, request_handler=_QuietHandler)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    @property
    def url(self) -> str:
        """Base URL, e.g. http://127.0.0.1:54321."""
        return f"http://127.0.0.1:{self._server.server_port}"

    # --- test controls ---------------------------------------------------------------------------------------
    def inject(self, kind: str, errcode: int, errmsg: str = "injected failure", times: int = 1,
               status: int = 200) -> None:
        """Make the next ``times`` requests of ``kind`` fail with ``errcode`` (or HTTP ``status``)."""
        with self._lock:
            self._faults.append(_Fault(kind, errcode, errmsg, times, status))

    def expire_tokens(self) -> None:
        """Expire every token issued so far."""
        with self._lock:
            past = self.clock() - timedelta(seconds=1)
            for tok in self._tokens:
                self._tokens[tok] = past

    def delivered(self, kind: str | None = None) -> list[Arrival]:
        """Accepted arrivals, optionally of one kind, in arrival order."""
        with self._lock:
            return [a for a in self.arrivals if a.status < 400 and a.errcode == 0 and a.kind != "token"
                    and (kind is None or a.kind == kind)]

    # --- helpers for subclasses ------------------------------------------------------------------------------
    def issue_token(self, ttl: int) -> str:
        """Hand out a new token valid for ``ttl`` seconds of the fake's clock."""
        self.tokens_issued += 1
        tok = f"tok{self.tokens_issued}-{id(self) % 9973}"
        self._tokens[tok] = self.clock() + timedelta(seconds=ttl)
        return tok

    def token_state(self, token: str | None) -> str:
        """"ok", "expired" or "invalid"."""
        if not token or token not in self._tokens:
            return "invalid"
        return "ok" if self._tokens[token] > self.clock() else "expired"

    def route(self, request: Request, body: Any) -> tuple[str, int, dict]:  # pragma: no cover - abstract
        """Answer one request: (kind, HTTP status, JSON body)."""
        raise NotImplementedError

    def kind_of(self, request: Request) -> str:  # pragma: no cover - abstract
        """The kind of API a request is for."""
        raise NotImplementedError

    # --- WSGI ------------------------------------------------------------------------------------------------
    def _wsgi(self, environ, start_response):
        request = Request(environ)
        if self.delay:
            time.sleep(self.delay)
        raw = request.get_data(cache=False)[: MAX_BODY + 1]
        body: Any = None
        if raw:
            try:
                body = json.loads(raw.decode("utf-8"))
            except (ValueError, UnicodeDecodeError):
                body = None
        with self._lock:
            kind = self.kind_of(request)
            fault = next((f for f in self._faults if f.kind == kind and f.times > 0), None)
            if len(raw) > MAX_BODY:
                status, response = 413, {"errcode": 413, "errmsg": "body too large"}
            elif fault is not None:
                fault.times -= 1
                status, response = fault.status, {"errcode": fault.errcode, "errmsg": fault.errmsg}
            else:
                kind, status, response = self.route(request, body)
            self.arrivals.append(Arrival(kind, request.path, dict(request.args), body, self.clock(), status, response))
        if status >= 500:
            return Response("internal error", status=status)(environ, start_response)
        out = json.dumps(response, ensure_ascii=False).encode("utf-8")
        return Response(out, status=status, content_type="application/json; charset=utf-8")(environ, start_response)
