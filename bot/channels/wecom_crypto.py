"""WeCom callback crypto: our own constant-time signature and freshness checks around wechatpy's AES."""
from __future__ import annotations

import binascii
import hashlib
import hmac
import os
import struct
import threading
import time

from wechatpy.enterprise.crypto import PrpCrypto, WeChatCrypto
from wechatpy.enterprise.exceptions import InvalidCorpIdException

from bot.channels.safety import Rejected, cdata

# WeCom retries within seconds; a timestamp further off than this (either way) is a replay or a broken clock.
MAX_SKEW_SECONDS = 300


def signature(token: str, timestamp: str, nonce: str, encrypt: str) -> str:
    """SHA1 over the sorted concatenation, as WeCom signs callbacks."""
    return hashlib.sha1("".join(sorted([token, timestamp, nonce, encrypt])).encode("utf-8")).hexdigest()


class RandomBytes:
    """Bytes from the OS generator (os.urandom), fetched a few KiB at a time and handed out once each."""

    # Every os.urandom call releases the GIL; in a busy server another thread takes it, and getting it back costs
    # context switches. Two draws per reply (nonce, AES prefix) made up a tenth of the callback's server CPU.
    def __init__(self, chunk: int = 4096):
        self._chunk = chunk
        self._lock = threading.Lock()
        self._buf = b""
        self._pos = 0
        # A forked child must not hand out the bytes its parent still holds.
        os.register_at_fork(after_in_child=self._forget)

    def _forget(self) -> None:
        self._lock = threading.Lock()
        self._buf, self._pos = b"", 0

    def hex(self, nbytes: int) -> str:
        """``nbytes`` fresh random bytes as hex (like secrets.token_hex)."""
        with self._lock:
            if self._pos + nbytes > len(self._buf):
                self._buf, self._pos = os.urandom(max(self._chunk, nbytes)), 0
            out = self._buf[self._pos:self._pos + nbytes]
            self._pos += nbytes
        return out.hex()


_RANDOM = RandomBytes()


class _Prp(PrpCrypto):
    """wechatpy's AES framing, with the 16 random leading bytes drawn from the OS generator."""

    def get_random_string(self):
        return _RANDOM.hex(8)


class WeComCrypto:
    """Verifies, decrypts and encrypts WeCom callback payloads for one corp and app."""

    def __init__(self, token: str, aes_key: str, corp_id: str, now=time.time):
        try:
            self._crypto = WeChatCrypto(token, aes_key, corp_id)
        except (AssertionError, binascii.Error, ValueError):
            raise ValueError("WECOM_AES_KEY must be the 43-character EncodingAESKey") from None
        self._token = token
        self._corp_id = corp_id
        # One cipher object for the process: wechatpy would rebuild it for every message. Its framing around the
        # cipher (to_binary, PKCS#7, the length prefix) costs under 1 µs a message over calling `cryptography`
        # directly (measured), too little to justify owning WeCom's envelope format ourselves.
        self._prp = _Prp(self._crypto.key)
        self._now = now

    def verify(self, msg_signature: str, timestamp: str, nonce: str, encrypt: str) -> None:
        """Refuse a wrong signature (403) or a stale timestamp (400)."""
        expected = signature(self._token, timestamp, nonce, encrypt)
        if not hmac.compare_digest(expected.encode(), (msg_signature or "").encode("utf-8", "replace")):
            raise Rejected(403, "签名校验失败")
        try:
            ts = int(timestamp)
        except ValueError:
            raise Rejected(400, "时间戳格式错误") from None
        if abs(self._now() - ts) > MAX_SKEW_SECONDS:
            raise Rejected(400, "时间戳已过期或超前，请求被拒绝")

    def decrypt(self, msg_signature: str, timestamp: str, nonce: str, encrypt: str) -> str:
        """Verify then decrypt; a wrong AES key, CorpID or broken ciphertext is a 400."""
        self.verify(msg_signature, timestamp, nonce, encrypt)
        try:
            return self._prp.decrypt(encrypt, self._corp_id)
        except InvalidCorpIdException:
            raise Rejected(400, "解密失败：CorpID 不匹配") from None
        except (ValueError, TypeError, IndexError, struct.error, binascii.Error, UnicodeDecodeError):
            raise Rejected(400, "解密失败：密文无效或 EncodingAESKey 不匹配") from None

    def reply(self, inner_xml: str) -> str:
        """Encrypt a passive reply into WeCom's outer envelope, signed with a fresh nonce and timestamp."""
        nonce = _RANDOM.hex(8)
        timestamp = str(int(self._now()))
        encrypt = self._prp.encrypt(inner_xml, self._corp_id).decode("ascii")
        sig = signature(self._token, timestamp, nonce, encrypt)
        return (f"<xml><Encrypt><![CDATA[{encrypt}]]></Encrypt><MsgSignature><![CDATA[{sig}]]></MsgSignature>"
                f"<TimeStamp>{timestamp}</TimeStamp><Nonce><![CDATA[{nonce}]]></Nonce></xml>")


def text_reply_xml(to_user: str, from_corp: str, content: str, created: int) -> str:
    """The inner XML of a passive text reply, CDATA-escaped."""
    return (
        f"<xml><ToUserName>{cdata(to_user)}</ToUserName><FromUserName>{cdata(from_corp)}</FromUserName>"
        f"<CreateTime>{int(created)}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        f"<Content>{cdata(content)}</Content></xml>"
    )
