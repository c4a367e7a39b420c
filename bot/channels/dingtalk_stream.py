"""DingTalk Stream mode: the same robot over an outbound websocket (dingtalk-stream SDK), for servers with no public URL."""
from __future__ import annotations

import asyncio
import json
import logging
import threading

from dingtalk_stream import AckMessage, ChatbotHandler, ChatbotMessage, Credential, DingTalkStreamClient
from dingtalk_stream.frames import Headers, SystemMessage

from bot.channels.answering import Answerer
from bot.channels.dingtalk import message_type, render_payloads, to_message
from bot.channels.push import dingtalk_push
from bot.channels.replies import NOT_TEXT
from bot.channels.safety import Rejected
from bot.core.message import Reply

log = logging.getLogger(__name__)


class _NoTickets(logging.Filter):
    """The SDK logs the whole connection answer, ticket included; keep such lines out of the log."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "ticket" not in record.getMessage()


def _system_from_dict(cls, d):
    msg = cls()
    for name, value in d.items():
        if name == "specVersion":
            msg.spec_version = value
        elif name == "headers":
            msg.headers = Headers.from_dict(value)
        elif name == "data":
            msg.data = json.loads(value) if value else {}
        elif name != "type":
            msg.extensions[name] = value
    return msg


if not hasattr(SystemMessage, "from_dict"):
    # dingtalk-stream 0.24.3 defines SystemMessage.from_dict inside __init__ by mistake, so the gateway's
    # "ping" frames raise and go unanswered; give the class the method it means to have.
    SystemMessage.from_dict = classmethod(_system_from_dict)


class RobotHandler(ChatbotHandler):
    """Turns chatbot callbacks into dispatches; acks at once and replies through the sessionWebhook."""

    def __init__(self, services, answerer: Answerer):
        super().__init__()
        self.services = services
        self.answerer = answerer
        self.logger = log

    async def process(self, callback):
        """Handle one callback frame; returns (ack status, ack message)."""
        try:
            return await asyncio.to_thread(self._handle, callback.data if isinstance(callback.data, dict) else {})
        except Rejected as err:
            log.info("dingtalk stream message refused: %s", err.reason)
            return AckMessage.STATUS_BAD_REQUEST, err.reason

    def _handle(self, payload: dict) -> tuple[int, str]:
        kind = message_type(payload)
        msg = to_message(payload)
        webhook = payload.get("sessionWebhook")
        if msg is None:
            return AckMessage.STATUS_OK, "OK"
        if not isinstance(webhook, str) or not webhook:
            raise Rejected(400, "消息缺少 sessionWebhook，无法回复")
        if kind != "text":
            self._push(webhook, [{"msgtype": "text", "text": {"content": NOT_TEXT}}])
            return AckMessage.STATUS_OK, "OK"

        def push_all(reply: Reply) -> None:
            self._push(webhook, render_payloads(reply, msg))

        # No HTTP response to carry the answer: wait for nothing, the run pushes its answer when done.
        outcome = self.answerer.answer(msg, 0, push_all)
        if outcome.reply is not None and not outcome.duplicate:
            self.answerer.later(lambda: push_all(outcome.reply), f"dingtalk stream {msg.msg_id}")
        return AckMessage.STATUS_OK, "OK"

    def _push(self, webhook: str, payloads: list[dict]) -> None:
        dingtalk_push(self.services, webhook, payloads)


def build_client(services, answerer: Answerer) -> DingTalkStreamClient:
    """A Stream client for our app credentials, pointed at DINGTALK_OPENAPI_BASE, with our robot handler."""
    base = services.config.dingtalk_openapi_base.rstrip("/")
    # The SDK reads its endpoint from the environment at import time; the configured base wins.
    DingTalkStreamClient.OPEN_CONNECTION_API = base + "/v1.0/gateway/connections/open"
    sdk_log = logging.getLogger("bot.channels.dingtalk_stream.sdk")
    if not any(isinstance(f, _NoTickets) for f in sdk_log.filters):
        sdk_log.addFilter(_NoTickets())
    client = DingTalkStreamClient(Credential(services.config.dingtalk_app_key, services.config.dingtalk_app_secret),
                                  logger=sdk_log)
    client.register_callback_handler(ChatbotMessage.TOPIC, RobotHandler(services, answerer))
    return client


class StreamRunner:
    """Runs a Stream client on its own event loop in a thread; ``stop()`` ends it (used by tests and ``stream``)."""

    def __init__(self, services):
        self.answerer = Answerer(services)
        self.client = build_client(services, self.answerer)
        self.loop = asyncio.new_event_loop()
        self.task: asyncio.Task | None = None
        self.thread = threading.Thread(target=self._run, name="dingtalk-stream", daemon=True)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.task = self.loop.create_task(self.client.start())
        try:
            self.loop.run_until_complete(self.task)
        except asyncio.CancelledError:
            pass
        finally:
            self.loop.close()

    def start(self) -> "StreamRunner":
        """Connect in the background."""
        self.thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Cancel the client until it really ends (the SDK swallows one cancellation to reconnect)."""
        while self.thread.is_alive() and timeout > 0:
            if self.task is not None:
                try:
                    self.loop.call_soon_threadsafe(self.task.cancel)
                except RuntimeError:  # the loop closed between our check and the call
                    break
            self.thread.join(0.1)
            timeout -= 0.1
        self.answerer.close()


def run_forever(services) -> None:
    """Run the Stream client in the foreground until interrupted; the SDK reconnects on its own."""
    runner = StreamRunner(services)
    log.info("connecting to DingTalk Stream at %s", services.config.dingtalk_openapi_base)
    runner.start()
    try:
        while runner.thread.is_alive():
            runner.thread.join(1.0)
    finally:
        runner.stop()
