"""One configuration object, read from the environment."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent.parent
DEFAULT_DATABASE_URL = f"sqlite:///{PROJECT_ROOT / 'data' / 'bot.db'}"


class ConfigError(ValueError):
    """A setting in the environment has a value the bot cannot use."""


def _int(env, name: str, default: int) -> int:
    raw = (env.get(name) or "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"环境变量 {name} 应为正整数（秒或分钟），现在是「{raw}」。") from None
    if value <= 0:
        raise ConfigError(f"环境变量 {name} 应为正整数，现在是「{raw}」。")
    return value


def _split(value: str) -> frozenset[str]:
    return frozenset(v.strip() for v in value.replace(";", ",").split(",") if v.strip())


@dataclass(frozen=True)
class Config:
    """Settings for every part of the bot; secrets are excluded from repr so they never reach a log."""

    database_url: str = DEFAULT_DATABASE_URL
    timezone: str = "Asia/Shanghai"
    # Users allowed to run secretariat commands, as "channel:user_id" or a bare user_id.
    admin_users: frozenset[str] = frozenset()

    wecom_corp_id: str = ""
    wecom_token: str = field(default="", repr=False)
    wecom_aes_key: str = field(default="", repr=False)
    wecom_agent_id: str = ""
    wecom_secret: str = field(default="", repr=False)
    wecom_api_base: str = "https://qyapi.weixin.qq.com"

    dingtalk_app_key: str = ""
    dingtalk_app_secret: str = field(default="", repr=False)
    dingtalk_robot_code: str = ""
    dingtalk_agent_id: str = ""
    dingtalk_api_base: str = "https://oapi.dingtalk.com"
    dingtalk_openapi_base: str = "https://api.dingtalk.com"

    # Reminders: how late a missed reminder may still go out, the scheduler lease, the outbox claim timeout.
    reminder_grace_minutes: int = 360
    scheduler_lease_seconds: int = 30
    outbox_claim_seconds: int = 120

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None, **overrides) -> "Config":
        """Build a Config from environment variables (or the given mapping), then apply overrides."""
        e = os.environ if env is None else env
        values = dict(
            database_url=e.get("DATABASE_URL") or DEFAULT_DATABASE_URL,
            timezone=e.get("BOT_TIMEZONE") or "Asia/Shanghai",
            admin_users=_split(e.get("ADMIN_USERS", "")),
            wecom_corp_id=e.get("WECOM_CORP_ID", ""),
            wecom_token=e.get("WECOM_TOKEN", ""),
            wecom_aes_key=e.get("WECOM_AES_KEY", ""),
            wecom_agent_id=e.get("WECOM_AGENT_ID", ""),
            wecom_secret=e.get("WECOM_SECRET", ""),
            wecom_api_base=(e.get("WECOM_API_BASE") or "https://qyapi.weixin.qq.com").rstrip("/"),
            dingtalk_app_key=e.get("DINGTALK_APP_KEY", ""),
            dingtalk_app_secret=e.get("DINGTALK_APP_SECRET", ""),
            dingtalk_robot_code=e.get("DINGTALK_ROBOT_CODE", ""),
            dingtalk_agent_id=e.get("DINGTALK_AGENT_ID", ""),
            dingtalk_api_base=(e.get("DINGTALK_API_BASE") or "https://oapi.dingtalk.com").rstrip("/"),
            dingtalk_openapi_base=(e.get("DINGTALK_OPENAPI_BASE") or "https://api.dingtalk.com").rstrip("/"),
            reminder_grace_minutes=_int(e, "REMINDER_GRACE_MINUTES", 360),
            scheduler_lease_seconds=_int(e, "SCHEDULER_LEASE_SECONDS", 30),
            outbox_claim_seconds=_int(e, "OUTBOX_CLAIM_SECONDS", 120),
        )
        values.update(overrides)
        return cls(**values)

    def is_admin(self, channel: str, user_id: str) -> bool:
        """True when the sender may run secretariat-only commands."""
        return user_id in self.admin_users or f"{channel}:{user_id}" in self.admin_users

    @property
    def wecom_enabled(self) -> bool:
        """The WeCom callback needs its corp id, token and AES key."""
        return bool(self.wecom_corp_id and self.wecom_token and self.wecom_aes_key)

    @property
    def dingtalk_enabled(self) -> bool:
        """The DingTalk robot needs its app key and secret."""
        return bool(self.dingtalk_app_key and self.dingtalk_app_secret)
