"""Fake WeCom and DingTalk API servers on 127.0.0.1 for tests; see ``tests/fakes/base.py`` for the shared API.

Typical use in a test::

    from tests.fakes import FakeWeCom, FakeDingTalk

    with FakeWeCom(clock=clock) as wecom, FakeDingTalk(clock=clock) as ding:
        config = Config.from_env(env={}, wecom_api_base=wecom.url, dingtalk_api_base=ding.url,
                                 dingtalk_openapi_base=ding.url, **wecom.config_overrides(),
                                 **ding.config_overrides())
        ...
        assert wecom.delivered("app")[0].body["text"]["content"] == "你好"

For a subprocess (``python -m bot …``) merge ``wecom.env()`` / ``ding.env()`` into its environment instead.
"""
from tests.fakes.base import Arrival, FakeServer
from tests.fakes.dingtalk import FakeDingTalk
from tests.fakes.wecom import FakeWeCom

__all__ = ["Arrival", "FakeDingTalk", "FakeServer", "FakeWeCom"]
