"""A local DingTalk Stream gateway: the connections/open HTTP endpoint and a websocket that pushes frames.

Speaks the protocol the dingtalk-stream SDK expects: POST /v1.0/gateway/connections/open with clientId,
clientSecret and subscriptions answers {endpoint, ticket}; the websocket (``?ticket=``) carries CALLBACK and SYSTEM
frames to the client and receives its ACK frames.
"""
from __future__ import annotations

import asyncio
import json
import secrets
import threading
import time

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response
from websockets.asyncio.server import serve


class FakeStreamGateway:
    """Start with ``with FakeStreamGateway(client_id, client_secret) as gw``; push with ``gw.push_chatbot(...)``."""

    def __init__(self, client_id: str, client_secret: str):
        self.client_id, self.client_secret = client_id, client_secret
        self.opens: list[dict] = []
        self.acks: list[dict] = []
        self.tickets: set[str] = set()
        self._connections: list = []
        self._connected = threading.Event()
        self.loop = asyncio.new_event_loop()
        self._ws_ready = threading.Event()
        self._ws_thread = threading.Thread(target=self._run_ws, daemon=True)
        self._http = make_server("127.0.0.1", 0, self._wsgi, threaded=True)
        self._http_thread = threading.Thread(target=self._http.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._http.server_port}"

    def _wsgi(self, environ, start_response):
        req = Request(environ)
        if req.path != "/v1.0/gateway/connections/open" or req.method != "POST":
            return Response("{}", 404)(environ, start_response)
        body = json.loads(req.get_data() or b"{}")
        self.opens.append(body)
        if body.get("clientId") != self.client_id or body.get("clientSecret") != self.client_secret:
            return Response(json.dumps({"code": "invalidClient"}), 401)(environ, start_response)
        ticket = secrets.token_hex(8)
        self.tickets.add(ticket)
        answer = {"endpoint": f"ws://127.0.0.1:{self.ws_port}/connect", "ticket": ticket}
        return Response(json.dumps(answer), 200, content_type="application/json")(environ, start_response)

    async def _on_ws(self, ws):
        ticket = ws.request.path.split("ticket=", 1)[-1]
        if ticket not in self.tickets:
            await ws.close(4001, "bad ticket")
            return
        self._connections.append(ws)
        self._connected.set()
        async for raw in ws:
            self.acks.append(json.loads(raw))

    def _run_ws(self):
        asyncio.set_event_loop(self.loop)

        async def main():
            async with serve(self._on_ws, "127.0.0.1", 0) as server:
                self.ws_port = server.sockets[0].getsockname()[1]
                self._stop = asyncio.Event()
                self._ws_ready.set()
                await self._stop.wait()

        self.loop.run_until_complete(main())

    def __enter__(self) -> "FakeStreamGateway":
        self._ws_thread.start()
        self._ws_ready.wait(5)
        self._http_thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.loop.call_soon_threadsafe(self._stop.set)
        self._ws_thread.join(5)
        self._http.shutdown()

    def wait_connected(self, timeout: float = 5.0) -> bool:
        return self._connected.wait(timeout)

    def _send(self, frame: dict) -> None:
        ws = self._connections[-1]
        asyncio.run_coroutine_threadsafe(ws.send(json.dumps(frame, ensure_ascii=False)), self.loop).result(5)

    def push_chatbot(self, payload: dict, message_id: str | None = None) -> str:
        """Push one chatbot message as a CALLBACK frame; returns the frame's messageId."""
        message_id = message_id or "frame-" + secrets.token_hex(6)
        self._send({"specVersion": "1.0", "type": "CALLBACK", "data": json.dumps(payload, ensure_ascii=False),
                    "headers": {"appId": "app-1", "connectionId": "conn-1", "contentType": "application/json",
                                "messageId": message_id, "time": str(int(time.time() * 1000)),
                                "topic": "/v1.0/im/bot/messages/get"}})
        return message_id

    def push_ping(self) -> str:
        """Push a SYSTEM ping frame, as the gateway does to check the connection."""
        message_id = "ping-" + secrets.token_hex(6)
        self._send({"specVersion": "1.0", "type": "SYSTEM", "data": json.dumps({"opaque": message_id}),
                    "headers": {"contentType": "application/json", "messageId": message_id, "topic": "ping",
                                "time": str(int(time.time() * 1000))}})
        return message_id

    def ack_for(self, message_id: str, timeout: float = 5.0) -> dict | None:
        """The client's ACK for a frame, waiting for it to arrive."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for ack in list(self.acks):
                if ack.get("headers", {}).get("messageId") == message_id:
                    return ack
            time.sleep(0.02)
        return None
