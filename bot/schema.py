"""Every table of the bot in one place: the model modules of each layer, and the call that creates them."""
from __future__ import annotations

import importlib

from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker

from bot.core.db import Base

# Every module that declares tables; init_db imports them so create_all sees all tables.
MODEL_MODULES = ("bot.state", "bot.dedup", "bot.worker_registry", "knowledge.store", "scheduler.models",
                 "bot.outbound.tokens")


def init_db(engine: Engine) -> sessionmaker:
    """Create missing tables and return a session factory bound to the engine."""
    for name in MODEL_MODULES:
        importlib.import_module(name)
    Base.metadata.create_all(engine)
    return sessionmaker(bind=engine, expire_on_commit=False)
