"""Delivery targets: validate, store (no duplicates), list with secrets masked, remove, subscribe members."""
from __future__ import annotations

import hashlib
import json
import logging
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from scheduler.models import DINGTALK_NOTICE, DINGTALK_ROBOT, TARGET_KINDS, WECOM_APP, WECOM_ROBOT, Target

log = logging.getLogger(__name__)

KIND_NAMES = {WECOM_ROBOT: "企业微信群机器人", WECOM_APP: "企业微信应用消息", DINGTALK_ROBOT: "钉钉群机器人",
              DINGTALK_NOTICE: "钉钉工作通知"}


class TargetError(ValueError):
    """A target description that cannot be used; the message is Chinese and shown to the user."""


def _ids(value) -> list[str]:
    if value is None:
        return []
    items = value.replace("|", ",").split(",") if isinstance(value, str) else list(value)
    return [str(i).strip() for i in items if str(i).strip()]


def _from_url(value: str, param: str) -> str:
    # Accept the whole webhook URL as copied from the admin console, or just the token in it.
    if value.startswith(("http://", "https://")):
        return (parse_qs(urlsplit(value).query).get(param) or [""])[0]
    return value.strip()


def normalize(kind: str, address: dict) -> dict:
    """The canonical address for a kind, or TargetError explaining what is missing."""
    if kind == WECOM_ROBOT:
        key = _from_url(str(address.get("key") or address.get("url") or ""), "key")
        if not key:
            raise TargetError("企业微信群机器人需要 webhook 地址或其中的 key。")
        return {"key": key}
    if kind == WECOM_APP:
        out = {f: _ids(address.get(f)) for f in ("touser", "toparty", "totag")}
        if not any(out.values()):
            raise TargetError("企业微信应用消息至少需要一个成员、部门或标签（全员可用 @all）。")
        return out
    if kind == DINGTALK_ROBOT:
        token = _from_url(str(address.get("access_token") or address.get("url") or ""), "access_token")
        secret = str(address.get("secret") or "").strip()
        if not token or not secret:
            raise TargetError("钉钉群机器人需要 access_token（或 webhook 地址）和加签密钥（SEC 开头）。")
        return {"access_token": token, "secret": secret}
    if kind == DINGTALK_NOTICE:
        userids = _ids(address.get("userids"))
        if not userids:
            raise TargetError("钉钉工作通知至少需要一个用户 ID。")
        if len(userids) > 100:
            raise TargetError("钉钉工作通知每个接收方最多 100 个用户 ID，请拆分成多个接收方。")
        return {"userids": userids}
    raise TargetError(f"未知的接收方类型：{kind}（可选：{'、'.join(TARGET_KINDS)}）")


def fingerprint(kind: str, address: dict) -> str:
    """A stable hash of kind + address identity (the secret is not part of a robot's identity)."""
    ident = {k: v for k, v in address.items() if k != "secret"}
    return hashlib.sha256(f"{kind}:{json.dumps(ident, sort_keys=True)}".encode()).hexdigest()


def add_target(sessions: sessionmaker, kind: str, address: dict, name: str = "",
               subscriber: str | None = None) -> tuple[Target, bool]:
    """Store a target (re-activating a removed one); returns (target, created)."""
    addr = normalize(kind, address)
    fp = fingerprint(kind, addr)
    with sessions() as s:
        row = s.scalar(select(Target).where(Target.fingerprint == fp))
        created = row is None
        if created:
            row = Target(kind=kind, name=name or KIND_NAMES[kind], address=addr, fingerprint=fp, subscriber=subscriber)
            s.add(row)
        else:
            was_active = row.active
            row.active, row.address = True, addr
            row.name = name or row.name
            row.subscriber = row.subscriber or subscriber
            created = not was_active
        s.commit()
        log.info("target %s (%s) %s", row.id, kind, "added" if created else "already present")
        return row, created


def remove_target(sessions: sessionmaker, target_id: int) -> Target | None:
    """Deactivate a target; its queued messages are skipped. Returns it, or None when unknown."""
    with sessions() as s:
        row = s.get(Target, target_id)
        if row is None or not row.active:
            return None
        row.active = False
        s.commit()
        return row


def find_subscription(sessions: sessionmaker, subscriber: str) -> Target | None:
    """The active personal target of a member ("channel:user"), if any."""
    with sessions() as s:
        return s.scalar(select(Target).where(Target.subscriber == subscriber, Target.active.is_(True)))


def active_targets(sessions: sessionmaker) -> list[Target]:
    """Every active target, oldest first."""
    with sessions() as s:
        return list(s.scalars(select(Target).where(Target.active.is_(True)).order_by(Target.id)))


def mask(secret: str) -> str:
    """Show only enough of a secret to recognise it: 「SEC1…9f（共 67 位）」."""
    if len(secret) <= 8:
        return "****"
    return f"{secret[:4]}…{secret[-2:]}（共 {len(secret)} 位）"


def describe(target: Target) -> str:
    """One line for listings; keys, tokens and secrets are masked."""
    a = target.address or {}
    if target.kind == WECOM_ROBOT:
        where = f"key={mask(a.get('key', ''))}"
    elif target.kind == DINGTALK_ROBOT:
        where = f"access_token={mask(a.get('access_token', ''))} secret={mask(a.get('secret', ''))}"
    elif target.kind == WECOM_APP:
        where = " ".join(f"{f}={'|'.join(a[f])}" for f in ("touser", "toparty", "totag") if a.get(f))
    else:
        where = f"userids={','.join(a.get('userids', []))}"
    who = f" 订阅人={target.subscriber}" if target.subscriber else ""
    return f"#{target.id} {KIND_NAMES.get(target.kind, target.kind)}「{target.name}」 {where}{who}"
