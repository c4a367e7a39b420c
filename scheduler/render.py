"""How a reminder or broadcast reads on a target; all four target kinds render markdown."""
from __future__ import annotations

from scheduler.models import TARGET_KINDS

LATE_MARK = "（补发）"
# WeCom markdown takes 4096 bytes (3 per Chinese character); this leaves room for the title and the source line.
MAX_CHARS = 1000


def text_problem(text: str) -> str | None:
    """A Chinese explanation when a reminder or broadcast text cannot be sent as is, else None."""
    if not text or not text.strip():
        return "内容不能为空。"
    if len(text.strip()) > MAX_CHARS:
        return f"内容过长（{len(text.strip())} 字），平台单条消息最多约 {MAX_CHARS} 字，请精简或分条发送。"
    return None


def _check(kind: str, text: str) -> None:
    if kind not in TARGET_KINDS:
        raise ValueError(f"unknown target kind {kind!r}")
    problem = text_problem(text)
    if problem:
        raise ValueError(problem)


def render_reminder(kind: str, text: str, source: str = "", when: str = "", late: bool = False) -> tuple[str, str, str]:
    """(msgtype, title, content) for a calendar reminder; late ones carry 「（补发）」."""
    _check(kind, text)
    title = f"{LATE_MARK if late else ''}截止提醒"
    lines = [f"### {title}", "", text.strip()]
    if when:
        lines += ["", f"> 提醒时间：{when}"]
    if source:
        lines += ["", f"> 依据：{source}"]
    return "markdown", title, "\n".join(lines)


def render_broadcast(kind: str, text: str) -> tuple[str, str, str]:
    """(msgtype, title, content) for a secretariat broadcast."""
    _check(kind, text)
    title = "协会秘书处通知"
    return "markdown", title, f"### {title}\n\n{text.strip()}"
