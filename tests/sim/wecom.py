"""What WeCom's server does: encrypt and sign callbacks, then verify and decrypt the bot's passive replies.

Written from the published algorithm (AES-256-CBC, IV = key[:16], PKCS#7 padding to 32 bytes, SHA1 over the sorted
[token, timestamp, nonce, encrypt]) with `cryptography` primitives, independently of wechatpy and of the bot.
"""
from __future__ import annotations

import base64
import hashlib
import os
import secrets
import struct
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass

import requests
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

BLOCK = 32


def new_aes_key() -> str:
    """A fresh 43-character EncodingAESKey."""
    return base64.b64encode(os.urandom(32)).decode().rstrip("=")


def sha1_signature(token: str, timestamp: str, nonce: str, encrypt: str) -> str:
    return hashlib.sha1("".join(sorted([token, timestamp, nonce, encrypt])).encode()).hexdigest()


@dataclass
class WeComSimulator:
    """One WeCom corp + app talking to the bot's callback URL."""

    base_url: str
    token: str
    aes_key: str  # 43 characters
    corp_id: str
    now: callable = time.time

    @property
    def key(self) -> bytes:
        return base64.b64decode(self.aes_key + "=")

    def encrypt(self, plain: str, receive_id: str | None = None, key: bytes | None = None) -> str:
        key = key or self.key
        rid = self.corp_id if receive_id is None else receive_id
        body = plain.encode()
        raw = os.urandom(16) + struct.pack(">I", len(body)) + body + rid.encode()
        pad = BLOCK - len(raw) % BLOCK
        raw += bytes([pad]) * pad
        enc = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
        return base64.b64encode(enc.update(raw) + enc.finalize()).decode()

    def decrypt(self, encrypt: str) -> str:
        dec = Cipher(algorithms.AES(self.key), modes.CBC(self.key[:16])).decryptor()
        raw = dec.update(base64.b64decode(encrypt)) + dec.finalize()
        pad = raw[-1]
        assert 1 <= pad <= BLOCK, "bad PKCS#7 padding"
        raw = raw[16:-pad]
        (length,) = struct.unpack(">I", raw[:4])
        body, rid = raw[4:4 + length], raw[4 + length:]
        assert rid.decode() == self.corp_id, f"receive id {rid!r} is not the corp id"
        return body.decode()

    def text_xml(self, text: str, user: str = "zhangsan", msg_id: str | None = None, msg_type: str = "text",
                 extra: str = "") -> str:
        msg_id = msg_id or str(secrets.randbelow(10**18))
        safe = text.replace("]]>", "]]]]><![CDATA[>")
        content = f"<Content><![CDATA[{safe}]]></Content>" if msg_type == "text" else ""
        return (f"<xml><ToUserName><![CDATA[{self.corp_id}]]></ToUserName>"
                f"<FromUserName><![CDATA[{user}]]></FromUserName><CreateTime>{int(self.now())}</CreateTime>"
                f"<MsgType><![CDATA[{msg_type}]]></MsgType>{content}<MsgId>{msg_id}</MsgId>"
                f"<AgentID>1000002</AgentID>{extra}</xml>")

    def event_xml(self, event: str, user: str = "zhangsan") -> str:
        return (f"<xml><ToUserName><![CDATA[{self.corp_id}]]></ToUserName>"
                f"<FromUserName><![CDATA[{user}]]></FromUserName><CreateTime>{int(self.now())}</CreateTime>"
                f"<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[{event}]]></Event>"
                f"<AgentID>1000002</AgentID></xml>")

    def envelope(self, inner: str, timestamp: str | None = None, nonce: str | None = None,
                 sign_token: str | None = None, **enc) -> tuple[dict, bytes]:
        """Query parameters and body of a POST, exactly as WeCom sends them."""
        ts = timestamp or str(int(self.now()))
        nonce = nonce or secrets.token_hex(5)
        encrypt = self.encrypt(inner, **enc)
        sig = sha1_signature(sign_token or self.token, ts, nonce, encrypt)
        body = (f"<xml><ToUserName><![CDATA[{self.corp_id}]]></ToUserName>"
                f"<AgentID><![CDATA[1000002]]></AgentID><Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>")
        return {"msg_signature": sig, "timestamp": ts, "nonce": nonce}, body.encode()

    def post(self, inner: str, **kw) -> requests.Response:
        params, body = self.envelope(inner, **kw)
        return requests.post(f"{self.base_url}/wecom/callback", params=params, data=body, timeout=10)

    def send_text(self, text: str, **kw) -> requests.Response:
        post_kw = {k: kw.pop(k) for k in ("timestamp", "nonce", "sign_token") if k in kw}
        return self.post(self.text_xml(text, **kw), **post_kw)

    def verify_url(self, echo: str = "hello-echo") -> requests.Response:
        ts, nonce = str(int(self.now())), secrets.token_hex(5)
        echostr = self.encrypt(echo)
        sig = sha1_signature(self.token, ts, nonce, echostr)
        return requests.get(f"{self.base_url}/wecom/callback", timeout=10,
                            params={"msg_signature": sig, "timestamp": ts, "nonce": nonce, "echostr": echostr})

    def open_reply(self, resp: requests.Response) -> dict[str, str]:
        """Verify the signature of a passive reply and decrypt it; returns the inner fields."""
        outer = {c.tag: c.text or "" for c in ET.fromstring(resp.content)}
        expected = sha1_signature(self.token, outer["TimeStamp"], outer["Nonce"], outer["Encrypt"])
        assert outer["MsgSignature"] == expected, "passive reply signature does not verify"
        inner = ET.fromstring(self.decrypt(outer["Encrypt"]))
        return {c.tag: c.text or "" for c in inner}
