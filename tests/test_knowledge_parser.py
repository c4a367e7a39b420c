"""The structure-aware parser on each bundled document: articles, outline, attachments, tables, artefacts."""
import re
import statistics
from pathlib import Path

import pytest

from knowledge.parser import MAX_CHARS, parse_document

CORPUS = Path(__file__).resolve().parent.parent / "knowledge" / "corpus"


def parse(doc):
    return parse_document(doc, (CORPUS / f"{doc}.txt").read_text(encoding="utf-8"))


def refs(doc):
    return [p.ref for p in parse(doc)]


def test_award_rules_have_25_articles_in_8_chapters_and_the_application_form():
    passages = parse("cncca-quality-award")
    articles = [p for p in passages if re.fullmatch(r"第[一二三四五六七八九十]+条", p.ref)]
    assert len(articles) == 25
    assert {p.path[0] for p in articles} >= {"第一章 总则", "第四章 创优申请", "第八章 其它"}
    eighth = next(p for p in articles if p.ref == "第八条")
    assert "投资额在1亿元或合同额2000万元以上" in eighth.text and eighth.path == ["第四章 创优申请", "第八条"]
    form = [p for p in passages if p.ref == "附件一"]
    assert form and "创建优质工程申请表" in form[0].text and "项目联系人" in "".join(p.text for p in form)


def test_consulting_rules_have_24_articles_and_an_outlined_attachment():
    passages = parse("cncca-quality-consulting")
    assert sum(bool(re.fullmatch(r"第[一二三四五六七八九十]+条", p.ref)) for p in passages) == 24
    annex = [p for p in passages if p.ref.startswith("附件一")]
    assert [p.path[-1] for p in annex][:2] == ["1 质量策划", "2 质量培训"]
    assert any("4.3 排查质量" in p.text for p in annex)  # the item is not glued to the line above it


def test_team_notice_sections_rules_units_and_statistics_table():
    passages = parse("cacem-trusted-team-2024")
    got = [p.ref for p in passages]
    assert {"一、", "二、", "三、", "四、", "五、"} <= set(got)
    rules = [r for r in got if re.fullmatch(r"附件1 第[一二三四五六七八九十]+条", r)]
    assert len(rules) == 18
    units = {}
    for p in passages:
        if p.ref == "附件2":
            for m in re.finditer(r"^(\d+) (\S+)$", p.text, re.M):
                units[int(m.group(1))] = m.group(2)
    assert sorted(units) == list(range(1, 66))
    assert units[1] == "中国建筑股份有限公司" and units[65] == "云南省市政工程协会"
    table = "\n".join(p.text for p in passages if p.ref == "附件3")
    assert "本年度开展质量信得过班组活动企业数" in table and "2023 年 4 月至 2024 年 4 月" in table
    assert "<input" not in table and "□" in table


def test_zezhou_outline_splits_long_sections_into_their_items():
    got = refs("zezhou-premium-projects-2022")
    assert "三、（一）" in got and "四、（五）2." in got and "六、（一）1." in got and "六、（二）5." in got
    assert "前言" in got


def test_guangdong_plan_outline_and_repaired_title():
    passages = parse("guangdong-quality-2014")
    got = [p.ref for p in passages]
    assert "二、（一）" in got and "二、（二）7." in got and "三、（五）" in got
    assert "印发《广东省住房城乡建设系统贯彻落实<广东省建设质量强省2014—2015年行动计划>工作方案》的通知" in passages[0].text


@pytest.mark.parametrize("doc", [p.stem for p in CORPUS.glob("*.txt")])
def test_no_passage_is_too_long_and_conversion_artefacts_are_gone(doc):
    passages = parse(doc)
    assert passages
    for p in passages:
        assert len(p.text) <= MAX_CHARS, p.ref
        assert "[bookmark" not in p.text and "印发" not in p.text.split("\n")[-1][-4:]
        assert p.doc == doc and p.ref


def test_sentences_broken_by_page_breaks_are_rejoined():
    team = "\n".join(p.text for p in parse("cacem-trusted-team-2024"))
    assert "持续优化、改进、创新基础管理工作" in team
    assert "结合组织和班组实际情况开展活动" in team.split("第六条", 1)[1].split("\n", 1)[0]
    zezhou = "\n".join(p.text for p in parse("zezhou-premium-projects-2022"))
    assert "奖励 50 万元" in zezhou and "在各项工作上提品质" in zezhou


def test_median_passage_is_article_sized():
    lengths = [len(p.text) for f in CORPUS.glob("*.txt") for p in parse(f.stem)]
    assert statistics.median(lengths) <= 300


def test_a_long_run_on_section_is_cut_at_sentences():
    raw = "一、总则\n" + "。".join(f"第{i}句话说明一项很长的要求和相关的办理程序以及注意事项" for i in range(60)) + "。"
    passages = parse_document("x", raw)
    assert len(passages) > 1 and all(len(p.text) <= MAX_CHARS for p in passages)
    assert all(p.ref == "一、" for p in passages)


def test_publication_notes_become_a_passage_of_their_own():
    guangdong = parse("guangdong-quality-2014")
    note = [p for p in guangdong if p.ref == "印发信息"]
    assert len(note) == 1 and note[0] is guangdong[-1]
    assert "公开方式：依申请公开" in note[0].text and "2014年7月28日" in note[0].text
    # ... and no longer end the article they used to be glued to.
    assert all("依申请公开" not in p.text for p in guangdong[:-1])
    zezhou = [p for p in parse("zezhou-premium-projects-2022") if p.ref == "印发信息"][0]
    assert "抄送：县委" in zezhou.text and "此件公开发布" in zezhou.text
