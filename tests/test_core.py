"""The neutral types, the dispatcher's edge behaviour and the conversation state store."""
from datetime import timedelta

from bot.dispatcher import Dispatcher
from bot.core.message import Message, Reply
from bot.state import StateStore


def test_state_survives_a_new_store_and_expires_when_idle(services, clock):
    key = ("wecom", "chat1", "u1")
    services.state.put(key, "eligibility", {"program": "award", "facts": {"investment": 1e8}})
    # A second store on the same database stands for a restarted process.
    again = StateStore(services.sessions, clock)
    assert again.get(key, "eligibility")["facts"]["investment"] == 1e8
    clock.advance(minutes=31)
    assert again.get(key, "eligibility", max_idle=timedelta(minutes=30)) is None
    assert again.get(key, "eligibility") is None  # an expired state is dropped, not kept


def test_state_is_separate_per_user_and_chat(services):
    services.state.put(("dingtalk", "g1", "u1"), "qa", {"last": "创优门槛"})
    assert services.state.get(("dingtalk", "g1", "u2"), "qa") is None
    assert services.state.get(("dingtalk", "g2", "u1"), "qa") is None


class _Boom:
    name = "boom"

    def matches(self, msg, ctx):
        return True

    def handle(self, msg, ctx):
        raise RuntimeError("broken")


def test_a_failing_handler_gets_a_polite_chinese_reply_not_a_crash():
    reply = Dispatcher([_Boom()], ctx=None).dispatch(Message("test", "c", "u", "你好"))
    assert isinstance(reply, Reply) and "抱歉" in reply.text


def test_blank_message_gets_guidance():
    reply = Dispatcher([_Boom()], ctx=None).dispatch(Message("test", "c", "u", "   "))
    assert "帮助" in reply.text


def test_a_bad_number_in_the_environment_is_a_clear_error_not_a_traceback(tmp_path):
    import os
    import subprocess
    import sys

    env = dict(os.environ, DATABASE_URL=f"sqlite:///{tmp_path / 'bot.db'}", OUTBOX_CLAIM_SECONDS="两分钟")
    proc = subprocess.run([sys.executable, "-m", "bot", "reminders", "list"], env=env, capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 2
    assert "OUTBOX_CLAIM_SECONDS" in proc.stderr and "Traceback" not in proc.stderr


def test_debug_logging_keeps_urls_with_keys_out_of_the_log():
    import logging

    from bot.cli import setup_logging

    root = logging.getLogger()
    old = root.level
    try:
        root.setLevel(logging.DEBUG)
        setup_logging()
        assert not logging.getLogger("urllib3").isEnabledFor(logging.DEBUG)
    finally:
        root.setLevel(old)
