"""Evaluating a program against the known facts, and the verdict text that cites each article."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from handlers.eligibility.programs import PROGRAMS, Program
from handlers.eligibility.rules import MET, NOT_MET, SELF_CHECK, UNKNOWN, Check, Condition

MAX_BYTES = 2048
ICONS = {MET: "✅", NOT_MET: "❌", UNKNOWN: "❓"}
AWARD_GROUP = {"quality", "national", "luban", "green"}
# Compared when the asked program is missed; the award group shows as one entry.
ALTERNATIVES = {"quality": "化学工业优质工程等（创建优质工程活动）", "premium": "化学工业优质精品工程",
                "consulting": "全过程质量控制专项咨询服务"}


@dataclass
class Evaluation:
    """Each condition of a program with its status for the known facts."""

    program: Program
    results: list[tuple[Condition, Check]]
    facts: dict[str, Any]

    @property
    def rules(self) -> list[tuple[Condition, Check]]:
        """The conditions that decide the verdict (self-checks excluded)."""
        return [(c, r) for c, r in self.results if not c.self_check]

    @property
    def eligible(self) -> bool | None:
        """False as soon as one rule fails; True when all are met; None while any is unknown."""
        statuses = [r.status for _, r in self.rules]
        if NOT_MET in statuses:
            return False
        return True if all(s == MET for s in statuses) else None

    @property
    def next_ask(self) -> str | None:
        """The fact to ask for next, in the order the document lists its conditions."""
        if self.eligible is False:
            return None
        return next((r.ask for _, r in self.rules if r.status == UNKNOWN and r.ask), None)

    @property
    def decided(self) -> bool:
        """True when asking more cannot change the verdict."""
        return self.next_ask is None


def evaluate(program_id: str, facts: dict[str, Any]) -> Evaluation:
    """Check every condition of a program against the facts."""
    program = PROGRAMS[program_id]
    return Evaluation(program, [(c, c.check(facts)) for c in program.conditions], facts)


def alternatives(program_id: str, facts: dict[str, Any]) -> list[tuple[str, bool | None]]:
    """Other programs of the same family that these facts meet (True) or do not yet rule out (None)."""
    if PROGRAMS[program_id].family != "project":
        return []
    asked = "quality" if program_id in AWARD_GROUP else program_id
    found = []
    for pid, name in ALTERNATIVES.items():
        if pid != asked and (eligible := evaluate(pid, facts).eligible) is not False:
            found.append((name, eligible))
    return found


def also_eligible(program_id: str, facts: dict[str, Any]) -> list[str]:
    """Other programs of the same family these facts fully qualify for."""
    return [name for name, eligible in alternatives(program_id, facts) if eligible]


def verdict_data(ev: Evaluation) -> dict[str, Any]:
    """The machine-readable verdict: program, eligible and each condition's status and article."""
    return {
        "program": ev.program.name,
        "program_id": ev.program.id,
        "eligible": ev.eligible,
        "alternatives": [{"program": name, "eligible": ok} for name, ok in alternatives(ev.program.id, ev.facts)],
        "conditions": [
            {"name": c.name, "status": SELF_CHECK if c.self_check else r.status, "ref": c.ref_full(),
             "detail": r.detail}
            for c, r in ev.results
        ],
    }


def fit_bytes(lines: list[str], limit: int = MAX_BYTES) -> str:
    """Join lines, dropping trailing optional lines (marked with a leading "~") until the UTF-8 size fits."""
    def size(ls: list[str]) -> int:
        return len("\n".join(l.lstrip("~") for l in ls).encode("utf-8"))

    lines = list(lines)
    while size(lines) > limit and any(l.startswith("~") for l in lines):
        drop = max(i for i, l in enumerate(lines) if l.startswith("~"))
        del lines[drop]
    text = "\n".join(l.lstrip("~") for l in lines)
    while len(text.encode("utf-8")) > limit:
        text = text[:-2] + "…"
    return text


def _lines(ev: Evaluation, facts: dict[str, Any]) -> list[str]:
    """The verdict's lines; "~" marks lines that may be dropped for size, "- " marks one condition."""
    conclusion = {True: "✅ 符合申请条件", False: "❌ 不符合申请条件", None: "❓ 暂时无法确定（有条件待确认）"}
    docs = "及".join(f"《{t}》" for t in ev.program.docs)
    lines = [f"【资格评估】{ev.program.name}", f"结论：{conclusion[ev.eligible]}", f"依据{docs}："]
    for c, r in ev.rules:
        detail = f"：{r.detail}" if r.detail else ""
        lines.append(f"- {ICONS[r.status]} {c.brief or c.name}（{c.ref_short()}）{detail}")
    checks = [f"{c.brief or c.name}（{c.ref_short()}）" for c, r in ev.results if c.self_check]
    if checks:
        lines.append("📝 请自查（由申报单位自行判断，不影响结论）：" + "；".join(checks))
    others = alternatives(ev.program.id, facts)
    met = [name for name, ok in others if ok]
    open_ = [name for name, ok in others if ok is None]
    if met:
        lead = "~按已知条件，同时符合：" if ev.eligible else "按已知条件，可以申报："
        lines.append(lead + "、".join(met) + "。")
    if open_ and ev.eligible is False:
        lines.append("按已知条件尚未排除：" + "、".join(open_) + "（可发送其名称继续评估）。")
    for note in ev.program.notes:
        lines.append(f"~提示：{note.text}（{note.ref.short()}）")
    lines.append(f"~信息有误可直接更正（如「{ev.program.fix_example}」）；发送「取消」结束评估。")
    return lines


def render(ev: Evaluation, facts: dict[str, Any]) -> str:
    """The verdict as chat text: conclusion, one line per condition with its article, self-checks, notes."""
    return fit_bytes([line.replace("- ", "", 1) if line.startswith("- ") else line for line in _lines(ev, facts)])


def render_markdown(ev: Evaluation, facts: dict[str, Any]) -> str:
    """The same verdict as markdown, for channels that render it (a heading, a bold conclusion, a list)."""
    lines = [line.lstrip("~") for line in _lines(ev, facts)]
    lines[0], lines[1] = f"#### {lines[0]}", f"**{lines[1]}**"
    # List items stay on consecutive lines; every other line is its own paragraph.
    parts = [line + ("\n" if line.startswith("- ") and nxt.startswith("- ") else "\n\n")
             for line, nxt in zip(lines, lines[1:] + [""])]
    return "".join(parts).rstrip()  # the channel splits long markdown into parts
