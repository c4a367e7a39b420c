"""Fixtures for channel tests: a bot with platform credentials behind a real waitress server, and its simulators.

Test modules import what they use: ``from tests.sim.fixtures import channel_bot  # noqa: F401``.
"""
from __future__ import annotations

import contextlib
import threading
from dataclasses import dataclass, field

import pytest

from bot.core.config import Config
from bot.core.message import Reply, Source
from tests.sim.dingtalk import DingTalkSimulator
from tests.sim.wecom import WeComSimulator, new_aes_key

CORP_ID, TOKEN, APP_SECRET = "ww-test", "callback-token-8a7c", "ding-secret"


class RecordingHandler:
    """A fast test handler: counts its runs, optionally waits on a gate, and answers with a citation."""

    name = "recording"

    def __init__(self):
        self.runs: list[tuple[str, str, str, str]] = []
        self.lock = threading.Lock()
        self.gate: threading.Event | None = None
        self.long_answer = False

    def matches(self, msg, ctx) -> bool:
        return True

    def handle(self, msg, ctx) -> Reply:
        with self.lock:
            self.runs.append((msg.channel, msg.chat_id, msg.user_id, msg.text))
        if self.gate is not None:
            self.gate.wait(10)
        if self.long_answer:
            text = "".join(f"第{i}句：优质工程的投资额应当符合规定的下限要求。" for i in range(1, 121))
        else:
            text = f"收到：{msg.text}"
        return Reply(text, sources=[Source("award", "化学工业优质工程奖评选办法", "第八条", "……")])

    def count(self, text: str | None = None) -> int:
        with self.lock:
            return sum(1 for r in self.runs if text is None or r[3] == text)


@dataclass
class ChannelBot:
    """A running bot with every channel on, plus simulators pointed at it."""

    url: str
    services: object
    handler: RecordingHandler | None
    wecom: WeComSimulator
    ding: DingTalkSimulator
    app: object = None
    extras: dict = field(default_factory=dict)


def channel_config(db_url: str, aes_key: str, **overrides) -> Config:
    """Config with WeCom and DingTalk credentials (the API bases default to nowhere reachable)."""
    base = dict(database_url=db_url, wecom_corp_id=CORP_ID, wecom_token=TOKEN, wecom_aes_key=aes_key,
                wecom_agent_id="1000002", wecom_secret="corp-secret", dingtalk_app_key="ding-key",
                dingtalk_app_secret=APP_SECRET, wecom_api_base="http://127.0.0.1:9",
                dingtalk_api_base="http://127.0.0.1:9", dingtalk_openapi_base="http://127.0.0.1:9")
    base.update(overrides)
    return Config.from_env(env={}, **base)


def start_bot(services, handler=None, flask_config=None, webhook_base="http://127.0.0.1:9"):
    """Start the app on a real server; returns (ChannelBot, ServerThread)."""
    from bot.app import create_app
    from bot.channels.server import ServerThread

    app = create_app(services, flask_config)
    server = ServerThread(app)
    url = server.__enter__()
    now = lambda: services.clock().timestamp()  # noqa: E731 - the platform and the bot share the test clock
    cfg = services.config
    bot = ChannelBot(url, services, handler,
                     WeComSimulator(url, cfg.wecom_token, cfg.wecom_aes_key, cfg.wecom_corp_id, now=now),
                     DingTalkSimulator(url, cfg.dingtalk_app_secret, webhook_base=webhook_base, now=now), app)
    return bot, server


@pytest.fixture
def aes_key() -> str:
    return new_aes_key()


@pytest.fixture
def recording(monkeypatch) -> RecordingHandler:
    """Replace the handler list with one RecordingHandler for the services built in this test."""
    handler = RecordingHandler()
    monkeypatch.setattr("bot.services.default_handlers", lambda: [handler])
    return handler


@pytest.fixture
def platform_fakes(clock):
    """Fake WeCom and DingTalk APIs on 127.0.0.1 (app messages, sessionWebhook), on the test clock."""
    from tests.fakes import FakeDingTalk, FakeWeCom

    with FakeWeCom(clock=clock, corp_id=CORP_ID) as wecom, FakeDingTalk(clock=clock, app_secret=APP_SECRET) as ding:
        yield wecom, ding


@contextlib.contextmanager
def running_bot(db_url, aes_key, clock, handler, platform_fakes):
    """The bot with a test handler, every channel on, behind waitress on 127.0.0.1, pushing to fake APIs."""
    from bot.services import build_services

    wecom_api, ding_api = platform_fakes
    config = channel_config(db_url, aes_key, wecom_api_base=wecom_api.url, dingtalk_api_base=ding_api.url,
                            dingtalk_openapi_base=ding_api.url)
    services = build_services(config, clock=clock, kb=object())
    bot, server = start_bot(services, handler, flask_config={"REPLY_WAIT_SECONDS": 1.0}, webhook_base=ding_api.url)
    bot.extras.update(wecom_api=wecom_api, ding_api=ding_api)
    try:
        yield bot
    finally:
        if handler.gate is not None:
            handler.gate.set()
        server.__exit__(None, None, None)
        bot.app.extensions["bot.answerer"].close()
        services.engine.dispose()


@pytest.fixture
def channel_bot(db_url, aes_key, clock, recording, platform_fakes):
    """The bot with the recording handler on SQLite; see running_bot."""
    with running_bot(db_url, aes_key, clock, recording, platform_fakes) as bot:
        yield bot


def wait_for(predicate, timeout: float = 5.0) -> bool:
    """Poll until predicate() is true; for effects that happen after an HTTP response (pushed answers)."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return bool(predicate())


@pytest.fixture(scope="module")
def real_bot(tmp_path_factory):
    """The bot with its real handlers and knowledge base, every channel on, pushing to fake platform APIs.

    Module-scoped because loading the knowledge base takes seconds; tests keep apart by using their own users.
    """
    from datetime import datetime

    from bot.core.clock import SHANGHAI, FrozenClock
    from bot.services import build_services
    from tests.fakes import FakeDingTalk, FakeWeCom

    clock = FrozenClock(datetime(2025, 5, 20, 10, 0, tzinfo=SHANGHAI))
    db_url = f"sqlite:///{tmp_path_factory.mktemp('real-bot') / 'bot.db'}"
    with FakeWeCom(clock=clock, corp_id=CORP_ID) as wecom_api, \
            FakeDingTalk(clock=clock, app_secret=APP_SECRET) as ding_api:
        config = channel_config(db_url, new_aes_key(), wecom_api_base=wecom_api.url, dingtalk_api_base=ding_api.url,
                                dingtalk_openapi_base=ding_api.url)
        services = build_services(config, clock=clock)
        bot, server = start_bot(services, None, webhook_base=ding_api.url)
        bot.extras.update(wecom_api=wecom_api, ding_api=ding_api)
        yield bot
        server.__exit__(None, None, None)
        bot.app.extensions["bot.answerer"].close()
        services.engine.dispose()
