"""The knowledge commands as a user runs them: real subprocesses on a fresh database."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def run(tmp_path):
    env = dict(os.environ, DATABASE_URL=f"sqlite:///{tmp_path / 'cli.db'}", LOG_LEVEL="WARNING")

    def _run(*args, stdin=None):
        return subprocess.run([sys.executable, "-m", "bot", *args], cwd=ROOT, env=env, input=stdin,
                              capture_output=True, text=True, timeout=60)
    return _run


def test_ask_json_reads_questions_line_by_line(run):
    out = run("ask", "--json", stdin="创优门槛多少钱\n班组活动找谁联系\n")
    assert out.returncode == 0, out.stderr
    lines = [json.loads(line) for line in out.stdout.splitlines()]
    assert [x["question"] for x in lines] == ["创优门槛多少钱", "班组活动找谁联系"]
    for x in lines:
        assert len(x["sources"]) >= 3
        assert set(x["sources"][0]) == {"doc", "title", "ref", "text", "score"}
    assert lines[0]["sources"][0]["doc"] == "cncca-quality-award" and "——《" in lines[0]["answer"]
    assert "010-63253413" in lines[1]["sources"][0]["text"]


def test_ask_prints_a_cited_answer_and_eval_scores_a_file(run, tmp_path):
    out = run("ask", "监理可以和施工方住一起吗")
    assert out.returncode == 0 and "同吃同住" in out.stdout and "——《泽州县" in out.stdout
    questions = tmp_path / "q.jsonl"
    questions.write_text(json.dumps({"id": "x", "q": "推荐函发哪个邮箱", "expect": ["xzhd@cacem.com.cn"]},
                                    ensure_ascii=False) + "\n", encoding="utf-8")
    out = run("eval", str(questions))
    assert out.returncode == 0 and "hit@1=1.000 hit@3=1.000" in out.stdout


def test_kb_add_list_remove_and_a_broken_file(run, tmp_path):
    doc = tmp_path / "rules.txt"
    doc.write_text("第一条 会员年费为每年3000元。\n第二条 本办法自2025年1月1日起施行。\n", encoding="utf-8")
    out = run("kb", "add", str(doc), "--title", "会员服务办法", "--id", "member")
    assert out.returncode == 0 and "已添加文档 member" in out.stdout, out.stderr
    listed = run("kb", "list").stdout
    assert "member" in listed and "《会员服务办法》" in listed and "cncca-quality-award" in listed
    answer = run("ask", "会员年费多少钱").stdout
    assert "——《会员服务办法》第一条" in answer  # kept after a restart: a new process found it
    bad = tmp_path / "empty.pdf"
    bad.write_bytes(b"")
    out = run("kb", "add", str(bad), "--title", "空的")
    assert out.returncode == 1 and "空文件" in out.stderr and "Traceback" not in out.stderr
    assert run("kb", "list").stdout == listed
    assert run("kb", "remove", "member").returncode == 0
    assert "member" not in run("kb", "list").stdout
    out = run("kb", "remove", "member")
    assert out.returncode == 1 and "没有编号为 member 的文档" in out.stderr
