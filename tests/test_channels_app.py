"""The app as a whole: channels off without credentials, /healthz, and `python -m bot serve` under waitress."""
import logging
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import requests

from bot.app import create_app
from bot.channels.server import ServerThread
from tests.sim.fixtures import wait_for


def test_channels_without_credentials_are_off_said_once_and_in_healthz(services, caplog):
    caplog.set_level(logging.INFO)
    app = create_app(services)
    off_lines = [r.getMessage() for r in caplog.records if "is off" in r.getMessage()]
    assert len(off_lines) == 2 and any("WECOM_TOKEN" in line for line in off_lines)
    with ServerThread(app) as url:
        health = requests.get(url + "/healthz", timeout=5).json()
        assert health["status"] == "ok" and health["database"] == "ok" and health["channels"]["web"]["enabled"]
        wecom = health["channels"]["wecom"]
        assert not wecom["enabled"] and wecom["missing"] == ["WECOM_CORP_ID", "WECOM_TOKEN", "WECOM_AES_KEY"]
        assert not health["channels"]["dingtalk"]["enabled"]
        resp = requests.post(url + "/wecom/callback", data=b"<xml/>", timeout=5)
        assert resp.status_code == 404 and "未启用" in resp.json()["error"]
    app.extensions["bot.answerer"].close()


def test_a_malformed_aes_key_turns_wecom_off_with_a_reason(db_url, clock):
    from bot.core.config import Config
    from bot.services import build_services

    config = Config.from_env(env={}, database_url=db_url, wecom_corp_id="ww", wecom_token="t",
                             wecom_aes_key="too-short")
    services = build_services(config, clock=clock, kb=object())
    app = create_app(services)
    with ServerThread(app) as url:
        wecom = requests.get(url + "/healthz", timeout=5).json()["channels"]["wecom"]
        assert not wecom["enabled"] and "WECOM_AES_KEY" in wecom["missing"][0]
    app.extensions["bot.answerer"].close()
    services.engine.dispose()


def test_unknown_paths_and_methods_get_chinese_json_errors(services):
    app = create_app(services)
    with ServerThread(app) as url:
        assert requests.get(url + "/nope", timeout=5).json()["error"] == "没有这个地址"
        assert requests.delete(url + "/api/chat", timeout=5).status_code == 405
    app.extensions["bot.answerer"].close()


def test_serve_command_runs_the_app_under_waitress(tmp_path):
    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'bot.db'}", "LOG_LEVEL": "INFO",
           "WECOM_CORP_ID": "", "WECOM_TOKEN": "", "WECOM_AES_KEY": "", "DINGTALK_APP_KEY": "",
           "DINGTALK_APP_SECRET": ""}
    proc = subprocess.Popen([sys.executable, "-m", "bot", "serve", "--port", "0"], cwd=root, env=env,
                            stderr=subprocess.PIPE, text=True)
    try:
        deadline, url = time.monotonic() + 60, None
        while url is None and time.monotonic() < deadline:
            line = proc.stderr.readline()
            if not line:
                break
            found = re.search(r"serving on (http://127\.0\.0\.1:\d+)/", line)
            url = found.group(1) if found else None
        assert url, "serve never said where it listens"
        assert requests.get(url + "/healthz", timeout=5).json()["status"] == "ok"
        assert requests.get(url + "/", timeout=5).text.count("质量活动助手") >= 1
        # The same process runs the reminders: the calendar is seeded and the scheduler lease is held.
        from sqlalchemy import create_engine, func, select

        from scheduler.models import Reminder, SchedulerLease

        engine = create_engine(env["DATABASE_URL"])

        def scalar(query):
            with engine.connect() as conn:
                return conn.execute(query).scalar()

        try:
            assert scalar(select(func.count()).select_from(Reminder)) >= 7
            assert wait_for(lambda: scalar(select(SchedulerLease.owner)), timeout=20)
        finally:
            engine.dispose()
    finally:
        proc.terminate()
        proc.wait(10)


def test_healthz_is_503_when_the_database_is_gone(db_url, clock, tmp_path):
    from bot.core.config import Config
    from bot.services import build_services

    services = build_services(Config.from_env(env={}, database_url=db_url), clock=clock, kb=object())
    app = create_app(services)
    services.engine.dispose()
    (tmp_path / "bot.db").unlink()
    (tmp_path / "bot.db").mkdir()  # the file is now a directory: SQLite cannot open it
    with ServerThread(app) as url:
        resp = requests.get(url + "/healthz", timeout=5)
        assert resp.status_code == 503 and resp.json()["database"] == "unavailable"
    app.extensions["bot.answerer"].close()


def test_a_server_whose_wake_up_pipe_is_gone_still_stops():
    # Seen once in a full run: the loop's trigger descriptor was already closed when the test stopped the server.
    from flask import Flask

    app = Flask("stop-test")
    app.add_url_rule("/", "root", lambda: "ok")
    server = ServerThread(app)
    url = server.__enter__()
    assert requests.get(url, timeout=5).text == "ok"

    def dead_pipe():
        raise OSError(9, "Bad file descriptor")

    server.server.trigger._physical_pull = dead_pipe  # as os.write on the closed descriptor fails
    server.stop()
    assert not server.thread.is_alive()
    try:
        requests.get(url, timeout=2)
    except requests.ConnectionError:
        pass  # nothing listens any more
    else:
        raise AssertionError("the server still answers after stop()")
