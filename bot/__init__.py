"""质量活动助手: a WeCom/DingTalk chat-bot for construction-quality campaigns."""
