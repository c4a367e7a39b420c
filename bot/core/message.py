"""The neutral message and reply types every channel adapter translates to and from."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Message:
    """One incoming chat message, whatever platform it came from."""

    channel: str  # "wecom", "dingtalk", "web", "cli", "test"
    chat_id: str  # conversation id; equals user_id in a private chat
    user_id: str
    text: str
    msg_id: str | None = None
    is_group: bool = False
    user_name: str = ""

    @property
    def key(self) -> tuple[str, str, str]:
        """The (channel, chat, user) triple that conversation state is kept under."""
        return (self.channel, self.chat_id, self.user_id)


@dataclass
class Source:
    """A passage of the knowledge base that a reply relies on."""

    doc: str
    title: str
    ref: str
    text: str
    score: float = 0.0

    def to_json(self) -> dict[str, Any]:
        """Plain-dict form for JSON output."""
        return asdict(self)


@dataclass
class Reply:
    """What a handler answers; the channel adapter decides how to render and send it."""

    text: str
    markdown: str | None = None  # richer form for channels that render markdown
    sources: list[Source] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)  # structured extras, e.g. {"verdict": {...}}

    def to_json(self) -> dict[str, Any]:
        """Plain-dict form: {"text", "sources", **data}."""
        out: dict[str, Any] = {"text": self.text, "sources": [s.to_json() for s in self.sources]}
        if self.markdown:
            out["markdown"] = self.markdown
        out.update(self.data)
        return out
