"""Sends one rendered message to one target through the matching platform client."""
from __future__ import annotations

from sqlalchemy.orm import sessionmaker

from bot.core.clock import Clock, system_clock
from bot.core.config import Config
from bot.outbound.dingtalk import DingTalkApi
from bot.outbound.errors import InvalidMessage
from bot.outbound.wecom import WeComApi
from scheduler.models import DINGTALK_NOTICE, DINGTALK_ROBOT, WECOM_APP, WECOM_ROBOT


class Sender:
    """Dispatches by target kind; the clients cache tokens in the database and raise typed errors."""

    def __init__(self, config: Config, sessions: sessionmaker, clock: Clock = system_clock):
        self.wecom = WeComApi(config, sessions, clock=clock)
        self.dingtalk = DingTalkApi(config, sessions, clock=clock)

    def send(self, kind: str, address: dict, msgtype: str, content: str, title: str = "") -> dict:
        """Deliver one message; raises bot.outbound errors on failure."""
        if kind == WECOM_ROBOT:
            return self.wecom.send_robot(address["key"], msgtype, content)
        if kind == WECOM_APP:
            return self.wecom.send_app_message(touser=address.get("touser", ()), toparty=address.get("toparty", ()),
                                               totag=address.get("totag", ()), msgtype=msgtype, content=content)
        if kind == DINGTALK_ROBOT:
            return self.dingtalk.send_robot(address["access_token"], address.get("secret", ""), msgtype, content,
                                            title=title or None)
        if kind == DINGTALK_NOTICE:
            return self.dingtalk.send_work_notice(address["userids"], msgtype, content, title=title or None)
        raise InvalidMessage(f"unknown target kind {kind!r}")
