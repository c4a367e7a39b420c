"""Wires configuration, database, knowledge base and dispatcher together for one process."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker

from bot.core.clock import Clock, system_clock
from bot.core.config import Config
from bot.core.db import make_engine
from bot.schema import init_db
from bot.dispatcher import Dispatcher
from bot.inline import GuardedSessions, guard_engine
from bot.state_local import LocalFirstState
from handlers import default_handlers
from handlers.base import Context


@dataclass
class Services:
    """Everything a channel adapter or a CLI command needs."""

    config: Config
    engine: Engine
    sessions: sessionmaker
    state: LocalFirstState
    kb: object
    clock: Clock
    dispatcher: Dispatcher


def build_services(config: Config | None = None, clock: Clock = system_clock, kb=None) -> Services:
    """Open the database (creating tables), load the knowledge base and build the dispatcher."""
    from knowledge import KnowledgeBase  # imported here: jieba and the index load only when needed

    config = config or Config.from_env()
    engine = make_engine(config.database_url)
    sessions = init_db(engine)
    # What handlers reach refuses to wait inside a run on a request thread (bot.inline); elsewhere it is plain.
    guarded = GuardedSessions(sessions)
    guard_engine(engine)
    state = LocalFirstState(guarded, clock)
    kb = kb if kb is not None else KnowledgeBase.open(guarded)
    dispatcher = Dispatcher(default_handlers(), None)
    ctx = Context(config=config, sessions=guarded, state=state, kb=kb, clock=clock, dispatch=dispatcher.dispatch)
    dispatcher.ctx = ctx
    return Services(config, engine, sessions, state, kb, clock, dispatcher)
