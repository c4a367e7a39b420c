"""The deadline calendar seeded from the campaign notices; each entry quotes the sentence its date comes from."""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker

from bot.core.clock import SHANGHAI
from bot.core.config import PROJECT_ROOT
from scheduler.models import Reminder

log = logging.getLogger(__name__)

CORPUS = PROJECT_ROOT / "knowledge" / "corpus"
TEAM_DOC = "cacem-trusted-team-2024.txt"
TEAM_TITLE = "《关于开展2024年工程建设质量信得过班组活动的通知》（中施企协字〔2024〕11号）"


@dataclass(frozen=True)
class SeedEntry:
    """One dated line of a notice turned into a yearly reminder."""

    key: str
    doc: str
    section: str
    excerpt: str  # must appear in the document (whitespace ignored), or the entry is not seeded
    month: int
    day: int
    text: str
    hour: int = 9


_DEADLINE = "于5月30日前将工程建设质量信得过班组活动的推荐函、工程建设质量信得过班组活动统计表（附件3）"
_MATERIALS = "推荐函、活动统计表（附件3）和本行业（地区）年度获奖名单的公布通知，扫描合成 PDF 后发送至 xzhd@cacem.com.cn"

SEEDS = (
    SeedEntry("team-registration-open", TEAM_DOC, "二、活动安排（一）", "5月1日至30日：各地方（行业）协会推荐，并组织企业进行网上申报",
              5, 1, "质量信得过班组活动网上申报今日开始（5月1日至30日），请登录中施企协官网「专业系统」→"
                    "「质量信得过班组活动申报系统」报名。"),
    SeedEntry("team-deadline-7d", TEAM_DOC, "四、其他要求（三）", _DEADLINE,
              5, 23, f"距班组推荐材料截止（5月30日）还有 7 天：请各推荐单位准备{_MATERIALS}。"),
    SeedEntry("team-deadline-3d", TEAM_DOC, "四、其他要求（三）", _DEADLINE,
              5, 27, f"距班组推荐材料截止（5月30日）还有 3 天：请各推荐单位尽快将{_MATERIALS}。"),
    SeedEntry("team-deadline-1d", TEAM_DOC, "四、其他要求（三）", _DEADLINE,
              5, 29, f"班组推荐材料明天（5月30日）截止：请尚未提交的推荐单位今天将{_MATERIALS}。"),
    SeedEntry("team-deadline", TEAM_DOC, "四、其他要求（三）；二、活动安排（一）", _DEADLINE,
              5, 30, f"今天（5月30日）是班组网上申报和推荐材料的截止日：{_MATERIALS}。"),
    SeedEntry("team-review", TEAM_DOC, "二、活动安排（二）", "6月至8月：材料审核，公布参加发布会的班组名单",
              6, 1, "班组活动进入材料审核阶段（6月至8月），审核后将公布参加发布会的班组名单，请留意协会通知。"),
    SeedEntry("team-presentation", TEAM_DOC, "二、活动安排（三）", "9月：现场发布（另行通知）",
              9, 1, "本月（9月）举行班组现场发布，具体安排另行通知；请入围班组按报名时上传的 PPT 做好发布准备。"),
)


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def source_of(entry: SeedEntry) -> str:
    """The citation shown with the reminder: document title, file and section."""
    return f"{TEAM_TITLE} {entry.section}（{entry.doc}）"


def ensure_seeded(sessions: sessionmaker, corpus=CORPUS, first_year: int = 2024) -> int:
    """Insert the seed entries not yet in the database (cancelled ones stay cancelled); returns how many were added."""
    with sessions() as s:
        known = set(s.scalars(select(Reminder.seed_key).where(Reminder.seed_key.is_not(None))))
    missing = [e for e in SEEDS if e.key not in known]
    if not missing:
        return 0
    texts: dict[str, str] = {}
    added = 0
    with sessions() as s:
        for entry in missing:
            if entry.doc not in texts:
                path = corpus / entry.doc
                texts[entry.doc] = _squash(path.read_text(encoding="utf-8")) if path.exists() else ""
            if _squash(entry.excerpt) not in texts[entry.doc]:
                log.warning("seed %s: its sentence is not in %s; not seeded", entry.key, entry.doc)
                continue
            first = datetime(first_year, entry.month, entry.day, entry.hour, 0, tzinfo=SHANGHAI)
            s.add(Reminder(text=entry.text, first_at=first, yearly=True, source=source_of(entry),
                           seed_key=entry.key, created_by="seed"))
            added += 1
        try:
            s.commit()
        except IntegrityError:  # another process seeded at the same moment; theirs stands
            s.rollback()
            return 0
    if added:
        log.info("seeded %s calendar entries from the notices", added)
    return added
