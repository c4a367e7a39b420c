"""Every table of the bot in one place: the model modules of each layer, and the call that creates them."""
from __future__ import annotations

import importlib
import logging

from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker

from bot.core.db import Base

log = logging.getLogger(__name__)

# Every module that declares tables; init_db imports them so create_all sees all tables.
MODEL_MODULES = ("bot.state", "bot.dedup", "knowledge.store", "scheduler.models", "bot.outbound.tokens")


def init_db(engine: Engine) -> sessionmaker:
    """Create missing tables (and missing nullable columns of older tables); return a session factory."""
    for name in MODEL_MODULES:
        importlib.import_module(name)
    Base.metadata.create_all(engine)
    add_missing_columns(engine)
    return sessionmaker(bind=engine, expire_on_commit=False)


def add_missing_columns(engine: Engine) -> list[str]:
    """Add columns that a newer version declares to tables an older one created; returns "table.column" names.

    Only nullable columns without a server-side default can be added this way, which is how new columns are
    declared; anything else is a change that needs a migration, and is refused with a clear message.
    """
    inspector = inspect(engine)
    added = []
    for table in Base.metadata.sorted_tables:
        if not inspector.has_table(table.name):
            continue
        present = {c["name"] for c in inspector.get_columns(table.name)}
        for column in table.columns:
            if column.name in present:
                continue
            if not column.nullable or column.primary_key:
                raise RuntimeError(f"表 {table.name} 缺少必填列 {column.name}：这个版本需要手工迁移数据库。")
            kind = column.type.compile(dialect=engine.dialect)
            with engine.begin() as conn:
                conn.execute(text(f'ALTER TABLE "{table.name}" ADD COLUMN "{column.name}" {kind}'))
            added.append(f"{table.name}.{column.name}")
    if added:
        log.info("added columns to tables of an older version: %s", ", ".join(added))
    return added
