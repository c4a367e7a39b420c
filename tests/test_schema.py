"""A database made by an older version opens: missing tables are created and new nullable columns added."""
import pytest
from sqlalchemy import inspect, text

from bot.core.db import make_engine
from bot.dedup import DedupStore
from bot.schema import init_db


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request, db_url):
    return db_url if request.param == "sqlite" else request.getfixturevalue("pg_url")


def test_an_older_dedup_table_gets_its_owner_column_and_keeps_its_records(url, clock):
    engine = make_engine(url)
    with engine.begin() as conn:  # the table as the previous version created it
        conn.execute(text("CREATE TABLE processed_message (channel VARCHAR(32) NOT NULL, msg_id VARCHAR(191) NOT NULL, "
                          "status VARCHAR(16) NOT NULL, delivery VARCHAR(16) NOT NULL, reply JSON, "
                          "claimed_at TIMESTAMP NOT NULL, finished_at TIMESTAMP, PRIMARY KEY (channel, msg_id))"))
        conn.execute(text("INSERT INTO processed_message VALUES ('wecom', 'old', 'done', 'inline', NULL, "
                          "'2025-05-20 01:00:00', NULL)"))
    init_db(engine)
    assert "owner" in {c["name"] for c in inspect(engine).get_columns("processed_message")}
    store = DedupStore(engine, clock)
    assert store.get("wecom", "old").status == "done"
    assert store.claim("wecom", "new").claimed and not store.claim("wecom", "new").claimed
    init_db(engine)  # a second start changes nothing
    engine.dispose()
