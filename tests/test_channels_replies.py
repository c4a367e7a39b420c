"""Rendering replies for the platforms: splitting long texts and showing sources."""
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.channels.replies import render_markdown, render_text, reply_from_json, split_text
from bot.channels.safety import cdata
from bot.core.message import Reply, Source


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_short_text_is_one_part():
    assert split_text("你好。", 2048) == ["你好。"]


def test_long_text_splits_at_sentence_ends_within_the_byte_limit():
    text = "".join(f"第{i}条规定：申报工程应当符合质量要求！" for i in range(200))
    parts = split_text(text, 2048)
    assert len(parts) > 1
    assert all(len(p.encode()) <= 2048 for p in parts)
    assert all(p.endswith("！") for p in parts)
    assert "".join(parts) == text


def test_a_sentence_longer_than_the_limit_is_cut_between_characters():
    text = "优" * 1000  # 3000 bytes, no sentence end
    parts = split_text(text, 2048)
    assert [len(p.encode()) for p in parts] == [2046, 954]
    assert "".join(parts) == text


@settings(max_examples=200)
@given(st.text(alphabet=st.sampled_from(list("工程质量。！？；\n ab😀,.")), max_size=3000),
       st.integers(min_value=8, max_value=600))
def test_any_text_splits_into_valid_parts_losing_nothing(text, limit):
    parts = split_text(text, limit)
    for p in parts:
        assert len(p.encode("utf-8")) <= limit
        p.encode("utf-8").decode("utf-8")  # whole characters only
    assert _squash("".join(parts)) == _squash(text)


def test_citations_are_appended_once_unless_the_text_names_them():
    src = Source("award", "化学工业优质工程奖评选办法", "第八条", "…")
    assert render_text(Reply("投资额要求如下。", sources=[src, src])) == \
        "投资额要求如下。\n\n依据：《化学工业优质工程奖评选办法》第八条"
    named = Reply("依据《化学工业优质工程奖评选办法》第八条，……", sources=[src])
    assert render_text(named) == named.text
    assert render_markdown(Reply("答案", sources=[src])).endswith("> 依据：《化学工业优质工程奖评选办法》第八条")


def test_a_stored_reply_renders_the_same_as_the_original():
    reply = Reply("答案", sources=[Source("d", "标题", "第一条", "原文", 0.5)], data={"verdict": {"ok": True}})
    again = reply_from_json(reply.to_json())
    assert render_text(again) == render_text(reply) and again.data == reply.data


def test_cdata_cannot_be_closed_early_and_drops_characters_xml_cannot_carry():
    import xml.etree.ElementTree as ET

    text = "a]]>b\x01c"
    assert ET.fromstring(f"<x>{cdata(text)}</x>").text == "a]]>bc"
