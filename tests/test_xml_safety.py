"""Callback XML: the flat fields WeCom sends come out right, and nothing hostile is ever expanded or fetched."""
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.channels.safety import Rejected, cdata, parse_xml_fields
from tests.sim.fixtures import TOKEN, aes_key, channel_bot, platform_fakes, recording  # noqa: F401
from tests.sim.wecom import sha1_signature

DTD_REFUSED = "拒绝处理含 DOCTYPE 或实体声明的 XML"
MALFORMED = "XML 格式错误或不完整"


def _refused(body: bytes) -> str:
    with pytest.raises(Rejected) as info:
        parse_xml_fields(body)
    assert info.value.status == 400
    return info.value.reason


def test_a_wecom_envelope_reads_as_its_fields():
    body = (b'<?xml version="1.0" encoding="UTF-8"?>\n<xml><ToUserName><![CDATA[ww-corp]]></ToUserName>\n'
            b"<AgentID>1000002</AgentID><Encrypt><![CDATA[abc+/=]]></Encrypt><Empty></Empty><Self/></xml>")
    assert parse_xml_fields(body) == {"ToUserName": "ww-corp", "AgentID": "1000002", "Encrypt": "abc+/=",
                                      "Empty": "", "Self": ""}


def test_cdata_keeps_markup_and_escapes_as_text():
    body = "<xml><Content><![CDATA[<b>&amp; 你好]]>，&lt;尾&gt;&#x4e2d;</Content></xml>".encode()
    assert parse_xml_fields(body)["Content"] == "<b>&amp; 你好，<尾>中"


def test_only_the_direct_childrens_own_text_counts():
    body = "<xml><Content>前<b>粗体</b>后</Content><Deep><x><y>深</y></x></Deep><Tail>t</Tail>根文本</xml>".encode()
    # As ElementTree reads it: a child's text ends at its first sub-element; nested text never leaks upwards.
    assert parse_xml_fields(body) == {"Content": "前", "Deep": "", "Tail": "t"}


def test_a_repeated_field_keeps_its_last_value_and_comments_are_skipped():
    body = b"<xml><MsgId>1</MsgId><MsgId>2</MsgId><Content>a<!-- note -->b</Content></xml>"
    assert parse_xml_fields(body) == {"MsgId": "2", "Content": "ab"}


def test_namespaced_fields_read_as_elementtree_names_them():
    body = b"<xml xmlns:w='urn:w'><w:Agent>1</w:Agent><Plain>2</Plain></xml>"
    assert parse_xml_fields(body) == {"{urn:w}Agent": "1", "Plain": "2"}


@pytest.mark.parametrize("body", [
    # XXE: an external entity that would read a local file
    b'<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><xml><C>&xxe;</C></xml>',
    # billion laughs: nested internal entities
    b'<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
    b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]><xml><C>&lol3;</C></xml>',
    # a DOCTYPE without any entity, and one pointing at an external DTD
    b"<!DOCTYPE xml><xml><C>x</C></xml>",
    b'<!DOCTYPE xml SYSTEM "http://127.0.0.1:9/evil.dtd"><xml><C>x</C></xml>',
    # an internal entity, a parameter entity, an unparsed entity
    b'<!DOCTYPE xml [<!ENTITY e "boom">]><xml><C>&e;</C></xml>',
    b'<!DOCTYPE xml [<!ENTITY % p SYSTEM "http://127.0.0.1:9/p.dtd"> %p;]><xml/>',
    b'<!DOCTYPE xml [<!NOTATION n SYSTEM "x"><!ENTITY u SYSTEM "y" NDATA n>]><xml/>',
])
def test_doctypes_and_entities_are_refused(body):
    assert _refused(body) == DTD_REFUSED


@pytest.mark.parametrize("body", [
    b"<xml><Encrypt>abc",  # truncated
    b"<xml><Encrypt>abc</Encrypt>",
    b"<xml><A></B></xml>",
    b"not xml at all",
    b"<xml><C>&undeclared;</C></xml>",
    b"<xml/><xml/>",
    b"<xml><w:Agent>1</w:Agent></xml>",  # a namespace prefix never declared
    b"<xml><C>\xc3\x28</C></xml>",  # invalid UTF-8
    b"\xff\xfe<xml><Encrypt>\xc3\x28</Encrypt></xml>",
    b'<?xml version="1.0" encoding="no-such-encoding"?><xml/>',
    b'<?xml version="1.0" encoding="gbk"?><xml/>',
])
def test_broken_xml_is_refused_as_malformed(body):
    assert _refused(body) == MALFORMED


@pytest.mark.parametrize("body", [b"", b"  \r\n\t"])
def test_an_empty_body_is_refused(body):
    assert _refused(body) == "请求体为空"


@settings(max_examples=300, deadline=None)
@given(body=st.binary(max_size=512))
def test_random_bytes_give_fields_or_a_400(body):
    try:
        fields = parse_xml_fields(body)
    except Rejected as err:
        assert err.status == 400
    else:
        assert all(isinstance(k, str) and isinstance(v, str) for k, v in fields.items())


XML_TEXT = st.text(st.one_of(st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\ufffe\uffff"),
                             st.sampled_from("\n\t]]>&<")))


@settings(max_examples=200, deadline=None)
@given(text=XML_TEXT)
def test_any_text_wrapped_by_cdata_reads_back_unchanged(text):
    assert parse_xml_fields(f"<xml><Content>{cdata(text)}</Content></xml>".encode())["Content"] == text


def _post_outer(bot, body: bytes):
    import requests

    ts = str(int(bot.wecom.now()))
    params = {"msg_signature": sha1_signature(TOKEN, ts, "n1", ""), "timestamp": ts, "nonce": "n1"}
    return requests.post(f"{bot.url}/wecom/callback", params=params, data=body, timeout=10)


def test_an_envelope_declaring_an_unknown_encoding_is_a_400(channel_bot):
    resp = _post_outer(channel_bot, b'<?xml version="1.0" encoding="no-such-encoding"?><xml><Encrypt>a</Encrypt></xml>')
    assert resp.status_code == 400 and resp.json()["error"] == MALFORMED


def test_markup_nested_in_a_message_does_not_reach_the_question(channel_bot):
    w = channel_bot.wecom
    inner = w.text_xml("占位").replace("<Content><![CDATA[占位]]></Content>",
                                     "<Content>投资额<b>隐藏</b>要求</Content>")
    resp = w.post(inner)
    assert resp.status_code == 200
    assert w.open_reply(resp)["Content"].startswith("收到：投资额")
    assert channel_bot.handler.count("投资额") == 1

