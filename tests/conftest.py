"""Shared fixtures: a fresh SQLite database per test, the in-process test channel, and a network guard."""
from __future__ import annotations

import os
import socket
import uuid
from datetime import datetime

import pytest

from bot.core.clock import SHANGHAI, FrozenClock
from bot.core.config import Config

_LOOPBACK = ("127.", "::1", "localhost")
_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def _check_address(address) -> None:
    if isinstance(address, tuple) and address and isinstance(address[0], str):
        if not address[0].startswith(_LOOPBACK):
            raise ConnectionRefusedError(f"tests may not reach the network ({address[0]})")


def _guarded_connect(self, address):
    _check_address(address)
    return _real_connect(self, address)


def _guarded_connect_ex(self, address):
    _check_address(address)
    return _real_connect_ex(self, address)


@pytest.fixture(autouse=True)
def _no_network(monkeypatch):
    """Any connection outside loopback fails the test: remote platforms are replaced by fakes on 127.0.0.1."""
    monkeypatch.setattr(socket.socket, "connect", _guarded_connect)
    monkeypatch.setattr(socket.socket, "connect_ex", _guarded_connect_ex)


@pytest.fixture
def db_url(tmp_path) -> str:
    """A fresh SQLite database file for one test."""
    return f"sqlite:///{tmp_path / 'bot.db'}"


@pytest.fixture
def config(db_url) -> Config:
    """Configuration with no platform credentials, on the test's own database."""
    return Config.from_env(env={}, database_url=db_url, admin_users=frozenset({"admin"}))


@pytest.fixture
def clock() -> FrozenClock:
    """A frozen clock at 2025-05-20 10:00 Asia/Shanghai."""
    return FrozenClock(datetime(2025, 5, 20, 10, 0, tzinfo=SHANGHAI))


@pytest.fixture
def services(config, clock):
    """Database, knowledge base and dispatcher for one test."""
    from bot.services import build_services

    svc = build_services(config, clock=clock)
    yield svc
    svc.engine.dispose()


@pytest.fixture
def testbot(services):
    """The in-process chat channel: ``testbot.say("你好").text``."""
    from bot.testing import TestBot

    return TestBot(services)


@pytest.fixture
def pg_url():
    """A PostgreSQL URL on a fresh schema; skipped with a reason unless TEST_DATABASE_URL is set."""
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        pytest.skip("PostgreSQL tests need TEST_DATABASE_URL (e.g. postgresql://postgres@127.0.0.1:5432/test)")
    from sqlalchemy import text

    from bot.core.db import make_engine

    schema = "t_" + uuid.uuid4().hex[:12]
    admin = make_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in base else "?"
    yield f"{base}{sep}options=-csearch_path%3D{schema}"
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(scope="module")
def kb(tmp_path_factory):
    """The bundled knowledge base on its own SQLite file, shared by the tests of one module."""
    from bot.core.db import make_engine
    from bot.schema import init_db
    from knowledge import KnowledgeBase

    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('kb') / 'kb.db'}")
    yield KnowledgeBase.open(init_db(engine))
    engine.dispose()
