"""Wires configuration, database, knowledge base and dispatcher together for one process."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker

from bot.core.clock import Clock, system_clock
from bot.core.config import Config
from bot.core.db import make_engine
from bot.dispatcher import Dispatcher
from bot.schema import init_db
from bot.state import StateStore
from handlers import default_handlers
from handlers.base import Context


@dataclass
class Services:
    """Everything a channel adapter or a CLI command needs."""

    config: Config
    engine: Engine
    sessions: sessionmaker
    state: StateStore
    kb: object
    clock: Clock
    dispatcher: Dispatcher


def build_services(config: Config | None = None, clock: Clock = system_clock, kb=None) -> Services:
    """Open the database (creating tables), load the knowledge base and build the dispatcher."""
    from knowledge import KnowledgeBase  # imported here: jieba and the index load only when needed

    config = config or Config.from_env()
    engine = make_engine(config.database_url)
    sessions = init_db(engine)
    state = StateStore(sessions, clock)
    kb = kb if kb is not None else KnowledgeBase.open(sessions)
    dispatcher = Dispatcher(default_handlers(), None)
    ctx = Context(config=config, sessions=sessions, state=state, kb=kb, clock=clock, dispatch=dispatcher.dispatch)
    dispatcher.ctx = ctx
    return Services(config, engine, sessions, state, kb, clock, dispatcher)
