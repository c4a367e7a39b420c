"""Scripted dialogs through a real ``python -m bot chat --json`` subprocess."""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def template_db(tmp_path_factory) -> Path:
    """A database with the knowledge base already loaded, so each chat process starts in about a second."""
    from bot.core.config import Config
    from bot.services import build_services

    path = tmp_path_factory.mktemp("template") / "bot.db"
    build_services(Config.from_env(env={}, database_url=f"sqlite:///{path}")).engine.dispose()
    return path


@pytest.fixture
def db_url(tmp_path, template_db) -> str:
    """A fresh copy of the template database for one test."""
    for suffix in ("", "-wal", "-shm"):
        src = template_db.with_name(template_db.name + suffix)
        if src.exists():
            shutil.copy(src, tmp_path / ("bot.db" + suffix))
    return f"sqlite:///{tmp_path / 'bot.db'}"


def chat(db_url: str, *lines: str, user: str = "pm1", as_json: bool = True) -> list:
    """Run the chat command over the given lines; return one parsed reply per line (or the raw text)."""
    env = dict(os.environ, DATABASE_URL=db_url, LOG_LEVEL="WARNING", PYTHONPATH=str(ROOT))
    args = [sys.executable, "-m", "bot", "chat", "--user", user] + (["--json"] if as_json else [])
    done = subprocess.run(args, input="\n".join(lines) + "\n", capture_output=True, text=True, encoding="utf-8",
                          cwd=ROOT, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    if not as_json:
        return done.stdout
    replies = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    assert len(replies) == len([l for l in lines if l.strip()]), done.stdout
    return replies


def test_all_facts_in_one_sentence(db_url):
    (reply,) = chat(db_url, "我们是协会会员单位，项目已经发改委批复，总投资3个亿，新建的，建成后能独立生产，能报鲁班奖吗")
    assert set(reply) >= {"text", "verdict"}
    v = reply["verdict"]
    assert v["program"] == "鲁班奖工程" and v["eligible"] is True
    assert {c["status"] for c in v["conditions"]} == {"met"}
    assert all(set(c) >= {"name", "status", "ref"} for c in v["conditions"])


def test_one_fact_per_turn_with_a_correction_in_the_middle(db_url):
    replies = chat(db_url, "我们项目能报精品吗", "是的", "已批复", "投了3个亿", "没有", "不对，投资是5亿", "能独立生产",
                   "扩建")
    assert "verdict" not in replies[0] and "会员单位" in replies[0]["text"]
    after_first_amounts = replies[4]
    assert after_first_amounts["verdict"]["eligible"] is False  # 3亿 and no contract: 精品 is decided ❌ …
    assert "尚未排除：化学工业优质工程" in after_first_amounts["text"]  # … but 化学工业优质工程 is still open
    assert {"program": "化学工业优质工程等（创建优质工程活动）", "eligible": None} in \
        after_first_amounts["verdict"]["alternatives"]
    assert "已更正" in replies[5]["text"] and "verdict" not in replies[5]
    final = replies[-1]["verdict"]
    assert final["program"] == "化学工业优质精品工程" and final["eligible"] is True


def test_the_dialog_survives_a_restart_of_the_process(db_url):
    first = chat(db_url, "帮我看看能不能申请全过程咨询", "是会员", "是化工项目")
    assert first[-1]["eligibility"]["asking"] == "approved"
    second = chat(db_url, "已经立项了", "合同额6000万", "能独立运行", "新建", "还没开工")
    v = second[-1]["verdict"]
    assert v["program"] == "全过程质量控制专项咨询服务" and v["eligible"] is True
    assert [c["status"] for c in v["conditions"]].count("self_check") == 2


def test_cancel_and_a_question_in_between(db_url):
    replies = chat(db_url, "我们班组能参加信得过班组活动吗", "第八条怎么说的", "有活动计划", "取消", "没有")
    assert replies[1]["eligibility"]["asking"] == "plan" and "资格评估还在进行" in replies[1]["text"]
    assert replies[2]["eligibility"]["asking"] == "accident"
    assert "已取消" in replies[3]["text"]
    assert "eligibility" not in replies[4] and "verdict" not in replies[4]


def test_users_are_kept_apart(db_url):
    chat(db_url, "我们项目能报鲁班奖吗", user="a")
    (other,) = chat(db_url, "是的", user="b")
    assert "eligibility" not in other


def test_plain_text_mode_prints_the_reply_text(db_url):
    out = chat(db_url, "资格评估", as_json=False)
    assert "请问要评估哪一项" in out and not out.lstrip().startswith("{")


def _age_state(db_url: str, user: str, minutes: int) -> None:
    """Make the stored check look idle for ``minutes``, as if that much time had passed since the last message."""
    from datetime import datetime, timedelta, timezone

    from bot.core.clock import FrozenClock
    from bot.core.db import make_engine
    from bot.schema import init_db
    from bot.state import StateStore

    engine = make_engine(db_url)
    past = datetime.now(timezone.utc) - timedelta(minutes=minutes)
    store = StateStore(init_db(engine), FrozenClock(past))
    key = ("cli", user, user)
    data = store.get(key, "eligibility")
    data["at"] = past.isoformat()
    store.put(key, "eligibility", data)
    engine.dispose()


def test_a_check_idle_for_more_than_30_minutes_has_expired(db_url):
    chat(db_url, "我们项目能报鲁班奖吗", "是的")
    _age_state(db_url, "pm1", minutes=29)
    (kept,) = chat(db_url, "已批复")
    assert kept["eligibility"]["asking"] == "investment"
    _age_state(db_url, "pm1", minutes=31)
    (late,) = chat(db_url, "投资3亿")
    assert "超过30分钟" in late["text"] and "eligibility" not in late and "verdict" not in late
