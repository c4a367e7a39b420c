"""The eligibility conversation: asks only for missing facts, keeps its place in the database, gives the verdict."""
from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from bot.core.message import Message, Reply
from handlers.base import Context
from handlers.eligibility.facts import extract
from handlers.eligibility.intents import (CANCEL, EXPLICIT, HELP, NEW_PROJECT, QUESTION, STRONG_QUESTION, THANKS,
                                          is_rule_question, is_start, unit_answer)
from handlers.eligibility.programs import PROGRAMS
from handlers.eligibility.questions import describe, question, unit_question
from handlers.eligibility.rules import DECLINED
from handlers.eligibility.verdict import evaluate, fit_bytes, render, render_markdown, verdict_data

log = logging.getLogger(__name__)

KIND = "eligibility"
MAX_IDLE = timedelta(minutes=30)

def _load(ctx: Context, key: tuple[str, str, str]) -> tuple[dict | None, dict | None]:
    """(running state, expired state): at most one is not None."""
    data = ctx.state.get(key, KIND)
    if not data:
        return None, None
    if data.get("program") not in (None, *PROGRAMS) or not isinstance(data.get("facts"), dict):
        log.warning("dropping unreadable eligibility state for %s", key)
        return None, None  # e.g. written by a version with other programs: the next check overwrites it
    try:
        idle = ctx.clock() - datetime.fromisoformat(data["at"])
    except (KeyError, TypeError, ValueError):
        return None, data
    return (None, data) if idle > MAX_IDLE else (data, None)


def _save(ctx: Context, key: tuple[str, str, str], state: dict) -> None:
    state["at"] = ctx.clock().isoformat()
    ctx.state.put(key, KIND, state)


def _pending(state: dict) -> str:
    if state.get("bare"):
        return unit_question(state["bare"])
    return question(state["asking"], state["facts"]) if state.get("asking") else ""


def _progress(state: dict) -> dict[str, Any]:
    return {"eligibility": {"program": state.get("program"), "asking": state.get("asking"),
                            "confirming": bool(state.get("bare"))}}


class EligibilityDialog:
    """Runs one user's check: apply what a message says, then ask the next question or give the verdict."""

    def __init__(self, msg: Message, ctx: Context):
        self.msg, self.ctx, self.key = msg, ctx, msg.key
        self.state, self.expired = _load(ctx, self.key)
        self.text = msg.text.strip()
        asking = (self.state or self.expired or {}).get("asking")
        self.ext = extract(self.text, asking)

    def wants(self) -> bool:
        """Whether this message belongs to the check (the handler's ``matches``)."""
        if self.state and not self.state.get("done"):
            return True
        if CANCEL.match(self.text) and (self.state or self.expired):
            return True
        if is_start(self.text, self.ext) or (self.state and NEW_PROJECT.search(self.text)):
            return True
        if self.state:  # a finished check still takes corrections and a switch of program
            return not is_rule_question(self.text) and bool(self.ext.updates or self.ext.bare or
                        (self.ext.program and not STRONG_QUESTION.search(self.text)))
        return bool(self.expired and (self.ext.updates or self.ext.bare))

    def reply(self) -> Reply:
        """Answer the message."""
        if CANCEL.match(self.text):
            self.ctx.state.clear(self.key, KIND)
            if self.state or self.expired:
                return Reply("好的，已取消本次资格评估。需要时发送「资格评估」重新开始。")
            return Reply("当前没有进行中的资格评估。发送「资格评估」即可开始。")
        if self.state is None:
            if self.expired:
                self.ctx.state.clear(self.key, KIND)
                if not is_start(self.text, self.ext):
                    return Reply("上次的资格评估已超过30分钟没有继续，已自动结束。"
                                 "请发送「资格评估」或直接问「我们项目能报鲁班奖吗」重新开始。")
            if self.ext.undeclared:
                return Reply(self.ext.undeclared)
            self.state = {"program": None, "facts": {}, "asking": None, "bare": None, "done": False}
            return self._advance(started=True)
        return self._continue()

    def _continue(self) -> Reply:
        state, ext = self.state, self.ext
        # After a verdict, a fresh request for the same program is about another project or team.
        again = state.get("done") and is_start(self.text, ext) and ext.program in (None, state.get("program"))
        if NEW_PROJECT.search(self.text) or EXPLICIT.search(self.text) or again:
            state.update(facts={}, asking=None, bare=None, program=None)
            self.ext = extract(self.text)  # read again without the old pending question
            return self._advance(started=True)
        if is_rule_question(self.text):
            ext.updates, ext.bare, ext.program = {}, None, None
        if state.get("bare"):
            value = unit_answer(self.text, state["bare"])
            if value is not None:
                ext.updates.setdefault(state["bare"]["slot"], value)
                state["bare"], ext.bare = None, None
        switch = ext.program and ext.program != state.get("program") and (
            state.get("asking") == "program" or not STRONG_QUESTION.search(self.text))
        if ext.updates or ext.bare or switch:
            if not switch:
                ext.program = None
            return self._advance(started=False)
        if ext.undeclared:
            return self._remind(Reply(ext.undeclared))
        if THANKS.match(self.text):
            return self._remind(Reply("不客气！"))
        if HELP.match(self.text):
            return self._remind(Reply("我正在帮您做资格评估：回答下面的问题即可；信息说错了可以直接更正，"
                                      "例如「不对，投资是5亿」；发送「取消」结束评估。"))
        if QUESTION.search(self.text) or STRONG_QUESTION.search(self.text):
            from handlers import qa  # the knowledge Q&A answers questions asked in between

            return self._remind(qa.answer(self.msg, self.ctx))
        _save(self.ctx, self.key, state)
        return Reply(f"抱歉，没能从这句话里看出答案。\n{_pending(state)}\n（发送「取消」可结束评估）", data=_progress(state))

    def _remind(self, answer: Reply) -> Reply:
        """An answer to a question asked in between, followed by the question still pending."""
        _save(self.ctx, self.key, self.state)
        reminder = f"\n\n—— 资格评估还在进行 ——\n{_pending(self.state)}"
        budget = 2048 - len(reminder.encode("utf-8"))
        text = fit_bytes([answer.text], budget) + reminder
        data = dict(answer.data)
        data.update(_progress(self.state))
        return Reply(text, sources=answer.sources, data=data)

    def _advance(self, started: bool) -> Reply:
        state, ext = self.state, self.ext
        facts = state["facts"]
        said = []
        if ext.program and ext.program != state.get("program"):
            state["program"] = ext.program
            said.append(f"好的，我们来评估「{PROGRAMS[ext.program].name}」的申报资格。")
            if not started and facts:
                said.append("（沿用您刚才提供的信息；要评估另一个项目，请说「换个项目」。）")
        recorded: dict[str, list[str]] = {"已记录": [], "已更正": []}
        typed = [s for s in ("investment", "contract") if isinstance(facts.get(s), dict)]
        if "amount_any" in ext.updates and len(typed) == 1 and not any(s in ext.updates for s in typed):
            # 「不对，是5000万」 after one known amount restates that amount.
            ext.updates[typed[0]] = ext.updates.pop("amount_any")
        if any(s in ext.updates for s in ("investment", "contract")):
            facts.pop("amount_any", None)
        for slot, value in ext.updates.items():
            if slot == "amount_kind":
                if not isinstance(facts.get("amount_any"), dict):
                    continue
                if value == DECLINED:
                    facts["amount_any"]["kind"] = DECLINED
                    continue
                slot, value = value, facts.pop("amount_any")
            old = facts.get(slot)
            facts[slot] = value
            recorded["已更正" if old is not None and old != value else "已记录"].append(describe(slot, value))
        said.extend(f"{verb}：{'；'.join(items)}。" for verb, items in recorded.items() if items)
        if ext.bare:
            state["bare"] = ext.bare
        log.debug("eligibility %s: program=%s facts=%s", self.key, state.get("program"), sorted(facts))
        if state.get("bare"):
            return self._ask(said, unit_question(state["bare"]))
        if not state.get("program"):
            state["asking"] = "program"
            return self._ask(said, question("program", facts))
        ev = evaluate(state["program"], facts)
        if ev.decided:
            state["asking"], state["done"] = None, True
            _save(self.ctx, self.key, state)
            carried = [line for line in said if line.startswith("（沿用")]
            text, markdown = render(ev, facts), render_markdown(ev, facts)
            if carried:
                text, markdown = fit_bytes(carried + [text]), "\n\n".join(carried + [markdown])
            return Reply(text, markdown=markdown, data={"verdict": verdict_data(ev)})
        state["asking"], state["done"] = ev.next_ask, False
        return self._ask(said, question(ev.next_ask, facts))

    def _ask(self, said: list[str], q: str) -> Reply:
        _save(self.ctx, self.key, self.state)
        return Reply(fit_bytes(said + [q]), data=_progress(self.state))
