"""Structure signals of the ranking: a question repeating a heading, and questions asking for a list."""
from pathlib import Path

import pytest

from knowledge import signals
from tests.test_knowledge_search import hit_rates

ROOT = Path(__file__).resolve().parent.parent


def pid_of(kb, doc, ref):
    return next(pid for pid, p in kb.passages.items() if p.doc_id == doc and p.ref == ref)


def grams(text):
    return set(signals.content_grams(text))


def test_question_repeating_an_article_title_matches_its_heading(kb):
    way = pid_of(kb, "cncca-quality-consulting", "第十三条")  # 「咨询服务方式：……」
    fee = pid_of(kb, "cncca-quality-consulting", "第十九条")
    q = grams("协会提供咨询服务的方式有哪些")
    assert signals.heading_match(kb, way, q) >= 0.75  # all but 「务方」, which 「服务的方式」 splits
    assert signals.heading_match(kb, fee, q) < 0.5


def test_parent_heading_counts_half(kb):
    # 第九条 has no title of its own; it stands in the chapter 「第四章 项目条件」.
    art = pid_of(kb, "cncca-quality-consulting", "第九条")
    assert signals.heading_match(kb, art, grams("项目条件")) == 0.5
    assert signals.heading_match(kb, art, grams("收费标准")) == 0.0


def test_list_questions_and_enumerating_passages(kb):
    assert signals.asks_for_list("创优都包括哪些类别")
    assert signals.asks_for_list("班组活动分几个环节")
    assert not signals.asks_for_list("创优门槛多少钱")
    assert signals.gives_list(kb, pid_of(kb, "cncca-quality-award", "第三条"))  # 「……工程、……工程、……」
    assert not signals.gives_list(kb, pid_of(kb, "cncca-quality-award", "第二十五条"))


def test_colloquial_synonyms_reach_the_document_wording(kb):
    # 「聘期」 is the document's 「聘任期」.
    assert "且在聘任期内" in kb.search("专家聘期过了还能参加评审吗", k=1)[0].text
    # 「咨询费」 and 「定价」 are about the fee article.
    top = kb.search("咨询费怎么定价", k=3)
    assert any("收取咨询服务费" in s.text for s in top), [s.ref for s in top]


def test_second_colloquial_set_holds(kb):
    h1, h3 = hit_rates(kb, ROOT / "eval/dev2.jsonl")
    assert h1 >= 0.8 and h3 >= 0.9, (h1, h3)


def test_total_questions_prefer_the_last_rows_of_a_list(kb):
    assert signals.asks_total("推荐单位一共有多少家")
    assert not signals.asks_total("推荐函发哪个邮箱")
    top = kb.search("推荐单位总共几家", k=1)[0]
    assert top.ref == "附件2" and "65" in top.text and "云南省市政工程协会" in top.text
    first = pid_of(kb, "cacem-trusted-team-2024", "附件2")  # the list's first chunk is not its end
    assert not signals.ends_list(kb, first)


def test_list_question_lifts_the_section_above_its_items(kb):
    # Each 「（一）设计要素」… matches 「要素」; the section's opening passage names all six.
    top = kb.search("泽州精品工程的六个要素是哪些", k=3)
    assert top[0].ref == "三、" and "六项要素" in top[0].text, [s.ref for s in top]
    assert all(s.ref.startswith("三、（") for s in top[1:]), [s.ref for s in top]


def test_whole_title_in_the_question(kb):
    q = "协会提供咨询服务的方式有哪些"
    key = signals.title_key(q)
    assert signals.names_title(kb, pid_of(kb, "cncca-quality-award", "第十二条"), key)
    assert signals.names_title(kb, pid_of(kb, "cncca-quality-consulting", "第十三条"), key)
    assert not signals.names_title(kb, pid_of(kb, "cncca-quality-award", "第十一条"), key)
    # Both rules' 「咨询服务方式」 articles are among the first three.
    refs = {(s.doc, s.ref) for s in kb.search(q, k=3)}
    assert {("cncca-quality-award", "第十二条"), ("cncca-quality-consulting", "第十三条")} <= refs, refs


def test_a_title_match_does_not_override_a_cue(kb):
    # The form is titled 「创建优质工程申请表」 but says nothing about when: 第九条 does (「开工后及时填报」).
    top = kb.search("创建优质工程申请表什么时候填报", k=1)[0]
    assert top.ref == "第九条" and "开工后及时填报" in top.text


def test_email_questions_need_a_passage_with_an_address(kb):
    # 「交材料」 matches the list of materials (第七条), but only 四、 gives the address.
    top = kb.search("班组交材料发给哪个邮箱", k=1)[0]
    assert "xzhd@cacem.com.cn" in top.text, top.ref


def test_document_number_questions(kb):
    top = kb.search("今年信得过班组活动是哪个文件", k=1)[0]
    assert "中施企协字〔2024〕11号" in top.text, top.ref


@pytest.mark.parametrize("question, doc", [
    ("广东这文件发给谁的", "guangdong-quality-2014"),
    ("泽州这个方案下发给哪些单位", "zezhou-premium-projects-2022"),
    ("班组通知发给谁", "cacem-trusted-team-2024"),
])
def test_addressee_questions_find_the_notice_head(kb, question, doc):
    top = kb.search(question, k=1)[0]
    assert top.doc == doc and top.ref == "前言", (top.doc, top.ref)


def test_interpretation_clause_only_for_interpretation_questions(kb):
    # 「秘书处负责啥」 asks for its duties, not for the closing 「本办法由……秘书处负责解释」.
    top = kb.search("咨询协会秘书处具体负责啥", k=1)[0]
    assert "秘书处" in top.text and "负责" in top.text and "负责解释" not in top.text, top.ref
    top = kb.search("创优办法谁负责解释", k=1)[0]
    assert "负责解释" in top.text, top.ref


def test_blank_forms_are_recognised_and_answer_only_questions_about_forms(kb):
    templates = {(p.doc_id, p.ref) for pid, p in kb.passages.items() if signals.is_template(kb, pid)}
    assert templates == {("cncca-quality-award", "附件一"), ("cacem-trusted-team-2024", "附件3")}
    # The application form names 化工优质工程 and 投资额 as blank fields; the rule is in 第八条.
    top = kb.search("化工优质工程投资额有什么要求", k=3)
    assert (top[0].doc, top[0].ref) == ("cncca-quality-award", "第八条")
    # Asked about the form itself, the form still comes first.
    assert kb.search("创建优质工程申请表要填哪些内容", k=3)[0].ref == "附件一"
