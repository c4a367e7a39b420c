"""Greetings, thanks and 「帮助」: a short help text instead of a random article."""
from __future__ import annotations

import re

from bot.core.message import Message, Reply
from handlers.base import Context, Handler

_END = r"[\s!！。.~～,，?？]*$"
GREETING = re.compile(r"^(你好|您好|你们好|大家好|hi|hello|hey|嗨|哈喽|哈啰|在吗|在么|在不在|早上好|上午好|中午好|下午好|"
                      r"晚上好|早安|晚安|早|喂|小助手|助手)(呀|啊|哈|呢)?" + _END, re.I)
THANKS = re.compile(r"^(谢谢|谢谢你|谢谢您|多谢|感谢|非常感谢|谢了|辛苦了|thanks|thank you|thx|好的|好|好滴|ok|okay|嗯|嗯嗯|"
                    r"收到|明白|明白了|知道了|了解|懂了|行|可以|没问题|再见|拜拜|bye)(啦|了|哈|呀)?" + _END, re.I)
HELP = re.compile(r"^(帮助|help|菜单|功能|使用说明|说明|怎么用|如何使用|你能做什么|你会什么|你能干什么|你可以做什么|"
                  r"能做什么|有什么功能|你是谁|你是干什么的|\?|？)" + _END, re.I)
# A bare 「确认」/「取消」 when no broadcast or dialog is waiting for one (those handlers come first and take it).
CONTROL = re.compile(r"^(确认|确定|确认发送|取消|算了|不用了|退出|结束|停止)" + _END)
CHITCHAT = re.compile(r"^(哈哈+|呵呵+|嘿嘿|666+|厉害|真棒|不错|好厉害|👍|🙏|😊|在干嘛|无聊)" + _END, re.I)

HELP_TEXT = (
    "您好，我是质量活动助手，可以帮您：\n"
    "1. 查规定：直接提问，如「创优门槛多少钱」「信得过班组什么时候报名」「班组活动找谁联系」，"
    "我会引用条文原文并注明出处；也可以问「第八条怎么说的」。\n"
    "2. 资格评估：如「我们项目能报鲁班奖吗」，或发送「资格评估」，我逐项询问后给出结论。\n"
    "3. 截止提醒：发送「订阅提醒」在截止日期前收到提醒，「退订提醒」取消。"
)
ADMIN_HELP = (
    "\n秘书处命令：「提醒列表」「新增提醒 2025-05-30 09:00 内容」「取消提醒 3」「广播 内容」。"
)
NOTHING_PENDING_TEXT = "现在没有等待确认或可以取消的操作。有问题可以直接问我，发送「帮助」查看我能做什么。"
THANKS_TEXT = "不客气！还有问题可以直接问我，发送「帮助」查看我能做什么。"


def help_text(msg: Message, ctx: Context) -> str:
    """The help text; secretariat commands are listed only for admins."""
    return HELP_TEXT + (ADMIN_HELP if ctx.is_admin(msg) else "")


class SmallTalkHandler(Handler):
    """Answers only messages that are entirely a greeting, thanks, 「帮助」 or chit-chat; questions pass on."""

    name = "smalltalk"

    def matches(self, msg: Message, ctx: Context) -> bool:
        """True for a whole-message greeting, thanks, help request or chit-chat."""
        text = msg.text.strip()
        return len(text) <= 16 and any(rx.match(text) for rx in (GREETING, THANKS, HELP, CHITCHAT, CONTROL))

    def handle(self, msg: Message, ctx: Context) -> Reply:
        """A short help text, or a short acknowledgement for thanks."""
        text = msg.text.strip()
        if THANKS.match(text):
            return Reply(THANKS_TEXT)
        if CONTROL.match(text):
            return Reply(NOTHING_PENDING_TEXT)
        return Reply(help_text(msg, ctx))


HANDLERS: list = [SmallTalkHandler()]
