"""kill -9 of a real server process while it answers: after a restart, the platform's retries get every message
answered once, and no conversation state is lost or counted twice."""
from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests
from sqlalchemy import select

from bot.core.db import make_engine
from bot.state import ConversationState
from tests.sim.tally_bot import CORP_ID, TOKEN
from tests.sim.wecom import WeComSimulator, new_aes_key

ROOT = Path(__file__).resolve().parent.parent
USERS = 20


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request, db_url):
    return db_url if request.param == "sqlite" else request.getfixturevalue("pg_url")


def _start(url: str, aes_key: str) -> tuple[subprocess.Popen, WeComSimulator]:
    proc = subprocess.Popen([sys.executable, "-m", "tests.sim.tally_bot", url, aes_key], cwd=ROOT,
                            stdout=subprocess.PIPE, text=True)
    port = int(proc.stdout.readline())
    return proc, WeComSimulator(f"http://127.0.0.1:{port}", TOKEN, aes_key, CORP_ID)


def _send(sim: WeComSimulator, user: str, text: str, msg_id: str) -> str | None:
    """One delivery of a message as WeCom makes it; the answer, or None when the connection broke."""
    try:
        resp = sim.send_text(text, user=user, msg_id=msg_id)
    except requests.RequestException:
        return None
    assert resp.status_code == 200
    return sim.open_reply(resp)["Content"] if resp.content else ""


def _tallies(url: str) -> dict[str, list[str]]:
    engine = make_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(select(ConversationState.user_id, ConversationState.data)
                            .where(ConversationState.kind == "tally")).all()
    engine.dispose()
    return {r.user_id: r.data["seen"] for r in rows}


def test_every_message_is_answered_once_and_no_state_is_lost_across_a_kill(url):
    aes_key = new_aes_key()
    first, sim = _start(url, aes_key)
    users = [f"u{i}" for i in range(USERS)]
    try:
        for u in users:  # a conversation under way before the crash
            assert _send(sim, u, "a", f"{u}-1") == "已记录：a"
        answers: dict[str, str | None] = {}

        def ask(i: int, u: str) -> None:
            # Runs that take from 0 to 2.85 s: when the process dies at 1.2 s, some are answered, some not.
            answers[u] = _send(sim, u, f"b sleep={i * 0.15:.2f}", f"{u}-2")

        threads = [threading.Thread(target=ask, args=(i, u)) for i, u in enumerate(users)]
        for t in threads:
            t.start()
        time.sleep(1.2)
        first.kill()  # SIGKILL: nothing is flushed, no handler finishes
        first.wait()
        for t in threads:
            t.join()
    finally:
        first.kill()
    answered_before = {u for u, a in answers.items() if a}
    assert 0 < len(answered_before) < USERS, "the kill should fall while some runs are busy"

    second, sim = _start(url, aes_key)
    try:
        for u in users:  # WeCom retries a message whose response it did not get, under the same MsgId
            retry = None
            for _ in range(3):
                retry = _send(sim, u, f"b sleep=0", f"{u}-2")
                if retry:
                    break
            assert retry == "已记录：a,b", f"{u}: {retry!r}"
            if u in answered_before:
                assert answers[u] == retry  # the stored answer, not a second run
        assert _tallies(url) == {u: ["a", "b"] for u in users}
        assert all(_send(sim, u, "c", f"{u}-3") == "已记录：a,b,c" for u in users)
    finally:
        second.kill()
        second.wait()
