"""Database engine, session factory and the declarative base every model module shares."""
from __future__ import annotations

import importlib
from pathlib import Path

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, sessionmaker

# Every module that declares tables; init_db imports them so create_all sees all tables.
MODEL_MODULES = ("bot.state", "bot.dedup", "bot.worker_registry", "knowledge.store", "scheduler.models",
                 "bot.outbound.tokens")


class Base(DeclarativeBase):
    """Declarative base for all tables of the bot."""


def make_engine(url: str) -> Engine:
    """Create an engine; SQLite files get WAL and a busy timeout so several processes can share them."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # pragma: no cover - trivial
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        return engine
    if url.startswith("postgresql://"):
        # psycopg 3 is the driver we ship; plain postgresql:// would ask for psycopg2.
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return create_engine(url, pool_pre_ping=True)


def init_db(engine: Engine) -> sessionmaker:
    """Create missing tables and return a session factory bound to the engine."""
    for name in MODEL_MODULES:
        importlib.import_module(name)
    Base.metadata.create_all(engine)
    return sessionmaker(bind=engine, expire_on_commit=False)
