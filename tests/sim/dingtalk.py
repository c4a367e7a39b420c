"""What DingTalk's server does: sign robot callbacks (HMAC-SHA256 over timestamp + "\\n" + secret) and post them."""
from __future__ import annotations

import base64
import json
import secrets
import time
from dataclasses import dataclass

import requests
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import hmac as chmac


def dingtalk_sign(timestamp_ms: str, secret: str) -> str:
    mac = chmac.HMAC(secret.encode(), hashes.SHA256())
    mac.update(f"{timestamp_ms}\n{secret}".encode())
    return base64.b64encode(mac.finalize()).decode()


@dataclass
class DingTalkSimulator:
    """One DingTalk enterprise robot talking to the bot's HTTP callback."""

    base_url: str
    app_secret: str
    webhook_base: str = ""  # where sessionWebhook URLs point (a fake DingTalk API)
    now: callable = time.time

    def payload(self, text: str, user: str = "staff01", group: str | None = None, at: bool = True,
                msg_id: str | None = None, msgtype: str = "text") -> dict:
        body = {
            "msgtype": msgtype, "msgId": msg_id or "msg" + secrets.token_hex(8),
            "createAt": int(self.now() * 1000), "conversationType": "2" if group else "1",
            "conversationId": group or "cid-private-" + user, "senderNick": "张工", "senderStaffId": user,
            "senderId": "$:LWCP_v1:$" + user, "isAdmin": False, "robotCode": "robot-code",
            "chatbotUserId": "$:LWCP_v1:$bot",
            "sessionWebhook": f"{self.webhook_base}/robot/sendBySession?session={secrets.token_hex(6)}",
            "sessionWebhookExpiredTime": int(self.now() * 1000) + 3600_000,
        }
        if msgtype == "text":
            body["text"] = {"content": (" @质量活动助手 " + text) if group and at else text}
        if group:
            body["conversationTitle"] = "创优工作群"
            body["isInAtList"] = at
            body["atUsers"] = [{"dingtalkId": "$:LWCP_v1:$bot"}] if at else []
        return body

    def headers(self, timestamp_ms: str | None = None, secret: str | None = None) -> dict:
        ts = timestamp_ms or str(int(self.now() * 1000))
        return {"timestamp": ts, "sign": dingtalk_sign(ts, secret or self.app_secret),
                "Content-Type": "application/json; charset=utf-8"}

    def post(self, payload: dict | bytes, **hkw) -> requests.Response:
        data = payload if isinstance(payload, bytes) else json.dumps(payload, ensure_ascii=False).encode()
        return requests.post(f"{self.base_url}/dingtalk/callback", data=data, headers=self.headers(**hkw), timeout=10)

    def send_text(self, text: str, **kw) -> requests.Response:
        return self.post(self.payload(text, **kw))

