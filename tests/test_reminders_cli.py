"""``python -m bot reminders …`` and ``python -m bot targets …`` against fake platforms."""
from __future__ import annotations

import json

import pytest

from bot.cli import main
from tests.fakes import FakeDingTalk, FakeWeCom

ROBOT_KEY = "9f8e7d6c-wecom-robot-key-0001"
DING_TOKEN = "a1b2c3d4e5f6-ding-access-token"
DING_SECRET = "SECd41d8cd98f00b204e9800998ecf8427e"


@pytest.fixture
def cli(db_url, monkeypatch, capsys):
    """Run the CLI in-process with the environment pointing at fresh fakes; returns (run, wecom, ding)."""
    with FakeWeCom() as wecom, FakeDingTalk() as ding:
        monkeypatch.setenv("DATABASE_URL", db_url)
        for key, value in {**wecom.env(), **ding.env()}.items():
            monkeypatch.setenv(key, value)

        def run(*argv):
            code = main(list(argv))
            out = capsys.readouterr()
            return code, out.out, out.err

        yield run, wecom, ding


def test_targets_add_and_list_never_print_secrets(cli, monkeypatch):
    run, wecom, ding = cli
    code, out, _ = run("targets", "add", "wecom_robot", "--name", "秘书处群",
                       "--url", f"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key={ROBOT_KEY}")
    assert code == 0 and "秘书处群" in out
    monkeypatch.setenv("DING_SECRET", DING_SECRET)
    code, out, _ = run("targets", "add", "dingtalk_robot", "--access-token", DING_TOKEN, "--secret-env", "DING_SECRET")
    assert code == 0
    code, out, _ = run("targets", "list")
    assert code == 0 and "秘书处群" in out and "钉钉群机器人" in out
    for secret in (ROBOT_KEY, DING_TOKEN, DING_SECRET):
        assert secret not in out
    assert "SECd…7e" in out
    code, _, err = run("targets", "add", "dingtalk_robot", "--access-token", "only-token")
    assert code == 2 and "加签密钥" in err
    code, out, _ = run("targets", "remove", "1")
    assert code == 0 and "秘书处群" not in run("targets", "list")[1]


def test_send_due_sends_once_even_when_run_twice(cli):
    run, wecom, ding = cli
    run("targets", "add", "wecom_robot", "--key", wecom.add_robot(ROBOT_KEY))
    ding.add_robot(DING_TOKEN, DING_SECRET)
    run("targets", "add", "dingtalk_robot", "--access-token", DING_TOKEN, "--secret", DING_SECRET)
    code, out, _ = run("reminders", "due", "--at", "2025-05-23T09:00+08:00", "--json")
    (due,) = json.loads(out)
    assert code == 0 and "还有 7 天" in due["text"] and len(due["targets"]) == 2 and not due["late"]
    code, out, _ = run("reminders", "send-due", "--at", "2025-05-23T09:00+08:00")
    assert code == 0 and "发送成功 2 条" in out
    code, out, _ = run("reminders", "send-due", "--at", "2025-05-23T09:00+08:00")
    assert code == 0 and "排队 0 条" in out and "发送成功 0 条" in out
    assert len(wecom.delivered("robot")) == 1 and len(ding.delivered("robot")) == 1
    assert "还有 7 天" in ding.delivered("robot")[0].body["markdown"]["text"]
    code, out, _ = run("reminders", "due", "--at", "2025-05-23T09:00+08:00")
    assert "没有到期的提醒" in out
    assert "已发送 2 条" in run("reminders", "status")[1]


def test_status_shows_failures_with_masked_targets(cli):
    run, wecom, _ = cli
    run("targets", "add", "wecom_robot", "--key", "unknown-robot-key-123456")
    code, out, _ = run("reminders", "send-due", "--at", "2025-05-30T09:00+08:00")
    assert code == 1 and "失败 1 条" in out
    out = run("reminders", "status")[1]
    assert "失败 1 条" in out and "93000" in out and "unknown-robot-key-123456" not in out


def test_reminders_add_list_remove_and_bad_input(cli):
    run, _, _ = cli
    code, out, _ = run("reminders", "add", "2030-06-01T09:00", "年度总结材料提交", "--source", "秘书处通知")
    assert code == 0 and "2030-06-01 09:00" in out
    rid = out.split("#")[1].split(" ")[0]
    code, out, _ = run("reminders", "list")
    assert "年度总结材料提交" in out and "依据：秘书处通知" in out and "二、活动安排（一）" in out
    code, out, _ = run("reminders", "edit", rid, "--at", "2030-06-02T09:30", "--text", "年度总结材料提交（延期）")
    assert code == 0 and "2030-06-02 09:30" in out and "延期" in out
    assert run("reminders", "edit", rid)[0] == 2
    assert run("reminders", "remove", rid)[0] == 0
    assert "年度总结材料提交" not in run("reminders", "list")[1]
    code, _, err = run("reminders", "remove", rid)
    assert code == 2 and "没有编号为" in err
    code, _, err = run("reminders", "add", "明天上午", "交材料")
    assert code == 2 and "无法识别的时间" in err
    code, _, err = run("reminders", "due", "--at", "not-a-time")
    assert code == 2 and "无法识别的时间" in err
