"""What a message asks for: start a check, cancel it, or ask a rule question in between."""
from __future__ import annotations

import re
from decimal import Decimal

from handlers.eligibility.amounts import find_amounts, normalize, unit_choices
from handlers.eligibility.facts import Extraction

CANCEL = re.compile(r"^(取消|退出|结束|算了|不评了|不用了|停止)(评估|资格评估)?[。.!！]*$")
NEW_PROJECT = re.compile(r"另一个项目|另外一个项目|新项目|换个项目|换一个项目|重新评估|重新开始")
THANKS = re.compile(r"^(谢谢|多谢|感谢|谢了|辛苦了|thanks|thx)", re.I)
HELP = re.compile(r"^(帮助|help|怎么用|菜单)[?？]?$", re.I)
EXPLICIT = re.compile(r"资格评估|资格预审|资格审查|评估资格|申报资格评估")
START = re.compile(r"能不能|能否|可不可以|可否|可以不|能报|能申|能参加|能参评|能评|可以报|可以申|可以参加|可以参评|够格|够不够|"
                   r"可以吗|行吗|行不行|够吗|符合吗|满足吗|达标吗|想申请|想报|想参加|打算申请|准备申请|"
                   r"符合条件|符不符合|符合.{0,6}条件吗|有没有资格|有资格|够资格|帮我(看看|评估|查查|判断|算算)")
SELF = re.compile(r"我们|我司|本单位|咱们|我的|这个项目|本项目|我单位|我公司|帮我")
STRONG_QUESTION = re.compile(r"什么|怎么|怎样|如何|哪|多少|何时|几时|为什么|为何|第[一二三四五六七八九十百零\d]+条|原文")
QUESTION = re.compile(r"[?？]|吗|呢|规定|要求")
RULE_QUESTION = re.compile(r"(要求|需要|必须|规定|算不算|算.{0,6}吗|属于.{0,6}吗).*([?？吗呢]|么)\s*$")


def is_rule_question(text: str) -> bool:
    """「鲁班奖要求新建吗」 asks about the rule; its 「新建」 is not a fact about the user's project."""
    return bool(RULE_QUESTION.search(text) and not SELF.search(text))


def is_start(text: str, ext: Extraction) -> bool:
    """A request to check eligibility, not an ordinary question about the rules."""
    if EXPLICIT.search(text):
        return True
    if STRONG_QUESTION.search(text) and not ext.updates:
        return False  # 「我们项目投资多少才能报鲁班奖」 asks about the rule, not for a check
    about_us = SELF.search(text) and (ext.program or ext.updates or ext.undeclared)
    # Without 「我们」 it takes both a program and a fact: 「项目部能不能作为班组报」 asks about the rule.
    return bool(START.search(text) and (about_us or (ext.program and ext.updates)))


def unit_answer(text: str, bare: dict) -> dict | None:
    """The amount meant, once the user names the unit for a number given without one (「亿」「3亿」「后者」)."""
    found = [a for a in find_amounts(normalize(text)) if not a.bare]
    if found:
        return {"yuan": str(found[0].yuan), "raw": found[0].raw, "approx": found[0].approx}
    choices = unit_choices(Decimal(bare["number"]))
    for unit, value in sorted(choices, key=lambda c: -len(c[0])):  # 「万元」 also contains 「元」
        if unit[0] in text:
            return {"yuan": str(value), "raw": bare["raw"] + unit, "approx": False}
    pick = 0 if re.search(r"前者|第一个|前一个", text) else 1 if re.search(r"后者|第二个|后一个", text) else None
    if pick is not None:
        unit, value = choices[pick]
        return {"yuan": str(value), "raw": bare["raw"] + unit, "approx": False}
    return None
