"""The questions the check asks, one fact at a time, each with examples of answers."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from handlers.eligibility.amounts import format_yuan, unit_choices
from handlers.eligibility.programs import MENU, PROGRAMS
from handlers.eligibility.rules import DECLINED, NONE

QUESTIONS = {
    "member": "申报单位是中国化工施工企业协会的会员单位吗？（可回答：是 / 不是）",
    "chemical": "这是化工工程项目吗？（例如：化工装置、石化、煤化工项目回答「是」；房建、市政项目回答「不是」）",
    "approved": "项目是否已经国家或地方主管部门批准建设（立项批复、核准或备案）？（可回答：已批复 / 还没批）",
    "investment": "项目投资额是多少？（例如：3亿、1.2亿、8000万；不清楚可回答「不知道」）",
    "contract": "申报单位承接的合同额是多少？（例如：2000万、五千万；没有可回答「没有」）",
    "independent": "项目建成后是否具有独立生产能力或使用功能？（可回答：是 / 不是）",
    "build_type": "项目的建设性质是什么？（例如：新建、扩建、改建、技改、维修）",
    "stage": "项目目前处在什么阶段？（例如：拟建/还没开工、在建、已竣工）",
    "team_unit": "参加活动的是什么组织？（例如：施工班组、项目部、职能部门）",
    "plan": "班组是否已制定本班组的活动计划和实施方案？（可回答：有 / 还没有）",
    "accident": "班组近三年有没有发生过质量、安全或环保事故？（可回答：没有 / 有）",
    "recommender": "打算由哪家推荐单位推荐？（例如：广东省建筑业协会、中国化工施工企业协会；还没定可回答「不知道」）",
}
FACT_NAMES = {
    "member": "会员单位", "chemical": "化工工程项目", "approved": "批准建设", "investment": "投资额",
    "contract": "合同额", "amount_any": "金额", "independent": "独立生产能力或使用功能", "build_type": "建设性质",
    "stage": "项目阶段", "team_unit": "组织", "plan": "活动计划", "accident": "近三年发生事故", "recommender": "推荐单位",
}


def program_question() -> str:
    """Which program to check, as a numbered menu."""
    items = "\n".join(f"{i}. {PROGRAMS[pid].name}" for i, pid in enumerate(MENU, 1))
    return f"请问要评估哪一项？回复序号或名称即可：\n{items}\n（国家优质工程、绿色施工等也可以直接说名称）"


def question(slot: str, facts: dict[str, Any]) -> str:
    """The question for one missing fact; the amount-kind question names the amount."""
    if slot == "amount_kind":
        amount = format_yuan(Decimal(facts["amount_any"]["yuan"]))
        return f"您说的 {amount} 是项目投资额，还是申报单位的合同额？（回答：投资 / 合同）"
    if slot == "program":
        return program_question()
    return QUESTIONS[slot]


def unit_question(bare: dict[str, str]) -> str:
    """Confirm a number given without a unit: 「您说的 3 是 3亿元 还是 3万元？」."""
    number = Decimal(bare["number"])
    a, b = (f"{bare['raw']}{unit}" for unit, _ in unit_choices(number))
    name = FACT_NAMES.get(bare["slot"], "金额")
    return f"您说的{name} {bare['raw']} 是 {a} 还是 {b}？（请带上单位回答，例如「{a}」）"


def describe(slot: str, value: Any) -> str:
    """One recorded fact in words, for the acknowledgement line."""
    name = FACT_NAMES.get(slot, slot)
    if value == DECLINED:
        return f"{name}：不确定"
    if value == NONE:
        return f"{name}：无"
    if isinstance(value, dict) and "yuan" in value:
        approx = "（约数）" if value.get("approx") else ""
        return f"{name}{format_yuan(Decimal(value['yuan']))}{approx}"
    if isinstance(value, dict):
        return f"{name}：{value.get('match') or value.get('name')}"
    if value is True:
        return f"{name}：是" if slot != "accident" else "近三年发生过事故"
    if value is False:
        return f"{name}：否" if slot != "accident" else "近三年无事故"
    return f"{name}：{value}"
