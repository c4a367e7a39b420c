"""What the scheduler, the worker and the CLI need, without loading the knowledge base."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker

from bot.core.clock import Clock, system_clock
from bot.core.config import Config
from bot.core.db import make_engine
from bot.schema import init_db


@dataclass
class Runtime:
    """Configuration, database and clock; a ``bot.services.Services`` offers the same attributes."""

    config: Config
    engine: Engine
    sessions: sessionmaker
    clock: Clock = system_clock


def open_runtime(config: Config | None = None, clock: Clock = system_clock) -> Runtime:
    """Open the database (creating missing tables) for the given or environment configuration."""
    config = config or Config.from_env()
    engine = make_engine(config.database_url)
    return Runtime(config, engine, init_db(engine), clock)
