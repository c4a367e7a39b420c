"""Building blocks for declared eligibility rules: a condition, its article, and how facts decide it."""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Callable

from handlers.eligibility.amounts import format_yuan

MET, NOT_MET, UNKNOWN, SELF_CHECK = "met", "not_met", "unknown", "self_check"
DECLINED = "?"  # the user said they do not know; not asked again
NONE = "none"  # the user said there is none (e.g. no contract amount)


@dataclass(frozen=True)
class Ref:
    """Where a condition is written: document title and article."""

    doc: str  # corpus file stem
    title: str  # the document's exact title
    article: str  # 「第八条」「四（一）」「附件2」
    label: str = ""  # short name of the document when a program cites two

    def full(self) -> str:
        """「《title》第八条」."""
        return f"《{self.title}》{self.article}"

    def short(self) -> str:
        """The article alone, prefixed by the short document name when one is set."""
        return f"{self.label}{self.article}" if self.label else self.article


@dataclass(frozen=True)
class Check:
    """A condition's status for the facts known so far; ``ask`` names the fact that would decide it."""

    status: str
    detail: str = ""
    ask: str | None = None


@dataclass(frozen=True)
class Condition:
    """One requirement of a program, tied to the article it comes from."""

    key: str
    name: str
    refs: tuple[Ref, ...]
    check: Callable[[dict[str, Any]], Check] = field(compare=False)
    self_check: bool = False
    brief: str = ""  # a shorter name for chat text, where space is tight

    def ref_full(self) -> str:
        """Every place the condition is written, with document titles."""
        return "；".join(r.full() for r in self.refs)

    def ref_short(self) -> str:
        """The articles alone, for compact chat text."""
        return "、".join(r.short() for r in self.refs)


def fact_is(slot: str, yes: str, no: str) -> Callable[[dict], Check]:
    """Met when the yes/no fact is true; ``yes``/``no`` describe the two answers."""

    def check(facts: dict) -> Check:
        value = facts.get(slot)
        if value is True:
            return Check(MET, yes)
        if value is False:
            return Check(NOT_MET, no)
        if value == DECLINED:
            return Check(UNKNOWN, "您暂不确定")
        return Check(UNKNOWN, "", ask=slot)

    return check


def fact_absent(slot: str, yes: str, no: str) -> Callable[[dict], Check]:
    """Met when the yes/no fact is false (e.g. no accident)."""
    inner = fact_is(slot, no, yes)

    def check(facts: dict) -> Check:
        got = inner(facts)
        flipped = {MET: NOT_MET, NOT_MET: MET}.get(got.status, got.status)
        return Check(flipped, got.detail, got.ask)

    return check


def one_of(slot: str, accept: set[str], unclear: dict[str, str] | None = None,
           why: str = "不符合") -> Callable[[dict], Check]:
    """Met when the fact is one of ``accept``; ``unclear`` values stay unknown; others fail with ``why``."""
    unclear = unclear or {}

    def check(facts: dict) -> Check:
        value = facts.get(slot)
        if value is None:
            return Check(UNKNOWN, "", ask=slot)
        if value == DECLINED:
            return Check(UNKNOWN, "您暂不确定")
        if value in accept:
            return Check(MET, f"「{value}」")
        if value in unclear:
            return Check(UNKNOWN, f"「{value}」：{unclear[value]}")
        return Check(NOT_MET, f"「{value}」{why}")

    return check


def _amount(facts: dict, slot: str) -> Decimal | str | None:
    value = facts.get(slot)
    if isinstance(value, dict):
        return Decimal(value["yuan"])
    return value


def amount_or(investment_min: int, contract_min: int) -> Callable[[dict], Check]:
    """Met when investment ≥ ``investment_min`` 元 or contract ≥ ``contract_min`` 元 (「以上」 includes the limit)."""
    inv_min, con_min = Decimal(investment_min), Decimal(contract_min)
    limits = f"投资额{format_yuan(inv_min)}或合同额{format_yuan(con_min)}以上"

    def near(facts: dict, slot: str, value: Decimal, limit: Decimal) -> str:
        # 「五千万左右」 next to a 5000万 limit: the verdict holds for the stated figure only.
        approx = isinstance(facts.get(slot), dict) and facts[slot].get("approx")
        return "（约数且接近门槛，请以批复或合同金额核实）" if approx and abs(value - limit) * 10 <= limit else ""

    def check(facts: dict) -> Check:
        inv, con, any_ = _amount(facts, "investment"), _amount(facts, "contract"), _amount(facts, "amount_any")
        if isinstance(facts.get("amount_any"), dict) and facts["amount_any"].get("kind") == DECLINED:
            any_ = None  # the user cannot say which amount it was: ask for each instead
        if isinstance(inv, Decimal) and inv >= inv_min:
            flag = near(facts, "investment", inv, inv_min)
            return Check(MET, f"投资额{format_yuan(inv)}，达到{format_yuan(inv_min)}{flag}")
        if isinstance(con, Decimal) and con >= con_min:
            flag = near(facts, "contract", con, con_min)
            return Check(MET, f"合同额{format_yuan(con)}，达到{format_yuan(con_min)}{flag}")
        if isinstance(any_, Decimal) and inv is None and con is None:
            if any_ >= inv_min and any_ >= con_min:
                return Check(MET, f"{format_yuan(any_)}，无论是投资额还是合同额都已达到")
            return Check(UNKNOWN, f"{format_yuan(any_)}是投资额还是合同额", ask="amount_kind")
        parts = []
        for name, slot, value, low in (("投资额", "investment", inv, inv_min), ("合同额", "contract", con, con_min)):
            if isinstance(value, Decimal):
                parts.append(f"{name}{format_yuan(value)}，未达{format_yuan(low)}{near(facts, slot, value, low)}")
            elif value == NONE:
                parts.append(f"无{name}")
            elif value == DECLINED:
                parts.append(f"{name}不详")
        detail = "；".join(parts)
        if inv is None:
            return Check(UNKNOWN, detail, ask="investment")
        if con is None:
            return Check(UNKNOWN, detail, ask="contract")
        if DECLINED in (inv, con):
            return Check(UNKNOWN, detail + f"（需{limits}）")
        return Check(NOT_MET, detail)

    return check


def applicant_judges(facts: dict) -> Check:
    """A requirement only the applicant can judge: listed for self-check, never blocks the verdict."""
    return Check(SELF_CHECK, "请自行对照")
