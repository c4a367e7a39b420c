"""Bad input on every channel: signatures, timestamps, broken bodies, entity attacks, oversized and random bytes.

Every case must get a 4xx with a reason, never a 5xx, and a refused message must run nothing.
"""
import json
import logging

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.sim.fixtures import APP_SECRET, TOKEN, aes_key, channel_bot, platform_fakes, recording  # noqa: F401
from tests.sim.wecom import new_aes_key, sha1_signature

BILLION_LAUGHS = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
                  b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
                  b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
                  b'<xml><Encrypt>&lol3;</Encrypt></xml>')
XXE = (b'<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
       b'<xml><Encrypt>&xxe;</Encrypt></xml>')


def _wecom_raw(bot, body: bytes, params=None):
    w = bot.wecom
    ts = str(int(w.now()))
    params = params or {"msg_signature": sha1_signature(TOKEN, ts, "n1", ""), "timestamp": ts, "nonce": "n1"}
    return requests.post(f"{bot.url}/wecom/callback", params=params, data=body, timeout=10)


def _refused(resp, status=None):
    assert 400 <= resp.status_code < 500, (resp.status_code, resp.text)
    if status:
        assert resp.status_code == status
    assert resp.json()["error"]  # a reason, in Chinese
    return resp.json()["error"]


def test_wecom_wrong_signature_is_403_and_runs_nothing(channel_bot):
    reason = _refused(channel_bot.wecom.send_text("你好", sign_token="not-the-token"), 403)
    assert "签名" in reason
    assert channel_bot.handler.count() == 0


def test_wecom_url_verification_with_a_wrong_signature_is_403(channel_bot):
    resp = requests.get(f"{channel_bot.url}/wecom/callback", timeout=5,
                        params={"msg_signature": "0" * 40, "timestamp": "1", "nonce": "n", "echostr": "abc"})
    _refused(resp, 403)


@pytest.mark.parametrize("offset", [-3600, 3600])
def test_wecom_stale_or_future_timestamp_is_refused(channel_bot, offset):
    ts = str(int(channel_bot.wecom.now()) + offset)
    assert "时间戳" in _refused(channel_bot.wecom.send_text("你好", timestamp=ts), 400)
    assert channel_bot.handler.count() == 0


def test_wecom_missing_parameters_are_400(channel_bot):
    resp = requests.post(f"{channel_bot.url}/wecom/callback", data=b"<xml/>", timeout=5)
    assert "msg_signature" in _refused(resp, 400)


@pytest.mark.parametrize("body", [b"<xml><Encrypt>abc", b"not xml at all", b"", b"<xml></xml>",
                                  b"\xff\xfe<xml><Encrypt>\xc3\x28</Encrypt></xml>", BILLION_LAUGHS, XXE])
def test_wecom_broken_or_hostile_xml_is_400(channel_bot, body):
    _refused(_wecom_raw(channel_bot, body), 400)


def test_wecom_entities_inside_the_encrypted_message_are_refused(channel_bot):
    inner = '<!DOCTYPE x [<!ENTITY e "boom">]><xml><FromUserName>u</FromUserName><MsgType>text</MsgType>' \
            '<Content>&e;</Content><MsgId>1</MsgId></xml>'
    assert "DOCTYPE" in _refused(channel_bot.wecom.post(inner), 400)
    assert channel_bot.handler.count() == 0


def test_wecom_wrong_aes_key_is_400(channel_bot):
    import base64

    other = base64.b64decode(new_aes_key() + "=")
    resp = channel_bot.wecom.post(channel_bot.wecom.text_xml("你好"), key=other)
    assert "解密失败" in _refused(resp, 400)


def test_wecom_wrong_corp_id_is_400(channel_bot):
    resp = channel_bot.wecom.post(channel_bot.wecom.text_xml("你好"), receive_id="ww-someone-else")
    assert "CorpID" in _refused(resp, 400)


def test_wecom_encrypt_that_is_not_base64_is_400(channel_bot):
    w = channel_bot.wecom
    ts = str(int(w.now()))
    encrypt = "%%%not-base64%%%"
    params = {"msg_signature": sha1_signature(TOKEN, ts, "n", encrypt), "timestamp": ts, "nonce": "n"}
    body = f"<xml><Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>".encode()
    _refused(_wecom_raw(channel_bot, body, params), 400)


def test_wecom_invalid_utf8_inside_the_ciphertext_is_400(channel_bot):
    # The plaintext bytes are not UTF-8; the simulator encrypts bytes as they are.
    w = channel_bot.wecom
    inner = w.text_xml("你好").encode().replace("你好".encode(), b"\xc3\x28\xff")
    assert b"\xff" in inner
    import base64
    import os
    import struct

    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    raw = os.urandom(16) + struct.pack(">I", len(inner)) + inner + w.corp_id.encode()
    pad = 32 - len(raw) % 32
    raw += bytes([pad]) * pad
    enc = Cipher(algorithms.AES(w.key), modes.CBC(w.key[:16])).encryptor()
    encrypt = base64.b64encode(enc.update(raw) + enc.finalize()).decode()
    ts = str(int(w.now()))
    params = {"msg_signature": sha1_signature(TOKEN, ts, "n", encrypt), "timestamp": ts, "nonce": "n"}
    resp = _wecom_raw(channel_bot, f"<xml><Encrypt>{encrypt}</Encrypt></xml>".encode(), params)
    _refused(resp, 400)
    assert channel_bot.handler.count() == 0


def test_wecom_unknown_message_type_is_400(channel_bot):
    resp = channel_bot.wecom.post(channel_bot.wecom.text_xml("", msg_type="hologram"))
    assert "不支持的消息类型" in _refused(resp, 400)


def test_wecom_oversized_body_is_413(channel_bot):
    _refused(_wecom_raw(channel_bot, b"<xml><Encrypt>" + b"A" * 70_000 + b"</Encrypt></xml>"), 413)


def test_dingtalk_wrong_or_missing_sign_is_403_and_runs_nothing(channel_bot):
    d = channel_bot.ding
    _refused(d.post(d.payload("你好"), secret="wrong-secret"), 403)
    resp = requests.post(f"{channel_bot.url}/dingtalk/callback", json=d.payload("你好"), timeout=5)
    _refused(resp, 403)
    assert channel_bot.handler.count() == 0


def test_dingtalk_timestamp_outside_the_hour_is_refused(channel_bot):
    d = channel_bot.ding
    stale = str(int(d.now() * 1000) - 3_700_000)
    assert "时间戳" in _refused(d.post(d.payload("你好"), timestamp_ms=stale), 400)
    assert channel_bot.handler.count() == 0


@pytest.mark.parametrize("body", [b'{"msgtype": "text", "text": {"content": "x"', b"[1, 2]", b"\xff\xfe\xfd", b"",
                                  b'{"msgtype": "text", "text": "x", "senderStaffId": "u"}',
                                  b'{"msgtype": "text", "text": {"content": 5}, "senderStaffId": "u"}',
                                  b'{"msgtype": "text", "text": {"content": "x"}}',
                                  b'{"msgtype": "hologram", "senderStaffId": "u"}',
                                  b"[" * 100_00 + b"]" * 100_00])
def test_dingtalk_broken_bodies_are_400(channel_bot, body):
    _refused(channel_bot.ding.post(body), 400)
    assert channel_bot.handler.count() == 0


def test_dingtalk_oversized_body_is_413(channel_bot):
    d = channel_bot.ding
    _refused(d.post(d.payload("长" * 30_000)), 413)


def test_web_chat_refuses_bad_bodies(channel_bot):
    url = channel_bot.url + "/api/chat"
    _refused(requests.post(url, data=b"{oops", timeout=5), 400)
    _refused(requests.post(url, json={"text": 12}, timeout=5), 400)
    _refused(requests.post(url, json={"text": "字" * 1001}, timeout=5), 400)
    _refused(requests.post(url, data=b"x" * 20_000, timeout=5), 413)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.binary(max_size=2048), path=st.sampled_from(["/wecom/callback", "/dingtalk/callback", "/api/chat"]),
       signed=st.booleans())
def test_random_bytes_never_get_a_5xx(channel_bot, body, path, signed):
    params, headers = {}, {}
    if signed and path == "/wecom/callback":
        ts = str(int(channel_bot.wecom.now()))
        params = {"msg_signature": sha1_signature(TOKEN, ts, "n", ""), "timestamp": ts, "nonce": "n"}
    if signed and path == "/dingtalk/callback":
        headers = channel_bot.ding.headers()
    resp = requests.post(channel_bot.url + path, params=params, headers=headers, data=body, timeout=10)
    assert resp.status_code < 500
    assert channel_bot.handler.count() == 0 or path == "/api/chat"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(payload=st.dictionaries(st.sampled_from(["msgtype", "text", "msgId", "conversationType", "conversationId",
                                                "senderStaffId", "senderId", "isInAtList", "sessionWebhook"]),
                               st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=20),
                                         st.dictionaries(st.text(max_size=8), st.text(max_size=8), max_size=2),
                                         st.lists(st.integers(), max_size=2))))
def test_signed_json_of_any_shape_never_gets_a_5xx(channel_bot, payload):
    resp = channel_bot.ding.post(json.dumps(payload).encode())
    assert resp.status_code < 500


def test_secrets_never_reach_a_log_line(channel_bot, caplog):
    caplog.set_level(logging.DEBUG)
    w, d = channel_bot.wecom, channel_bot.ding
    w.send_text("你好")
    w.send_text("你好", sign_token="wrong")
    w.verify_url()
    d.send_text("你好")
    d.post(d.payload("你好"), secret="wrong")
    channel_bot.handler.long_answer = True
    w.send_text("长答案")  # the rest goes through the app message API, which fetches a token with the secret
    from tests.sim.fixtures import wait_for

    assert wait_for(lambda: channel_bot.extras["wecom_api"].delivered("app"))
    cfg = channel_bot.services.config
    secrets_ = [cfg.wecom_token, cfg.wecom_aes_key, cfg.wecom_secret, cfg.dingtalk_app_secret, APP_SECRET]
    # urllib3's DEBUG lines echo request URLs (WeCom's gettoken carries the secret in its query); the entry points
    # keep that logger at INFO, see bot.cli.quiet_http_debug.
    lines = [r.getMessage() + (r.exc_text or "") for r in caplog.records
             if not (r.name.startswith("urllib3") and r.levelno < logging.INFO)]
    assert lines  # the bot did log what it did
    for line in lines:
        for secret in secrets_:
            assert secret not in line
