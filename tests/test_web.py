"""The web chat page in headless Chromium, and its JSON endpoint."""
import os
from pathlib import Path

import pytest
import requests

from tests.sim.fixtures import aes_key, channel_bot, platform_fakes, real_bot, recording  # noqa: F401

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture
def browser_page():
    if not Path(CHROMIUM).exists():
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(f"REQUIRE_BROWSER=1 but {CHROMIUM} is missing")
        pytest.skip(f"browser test needs Chromium at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 900, "height": 760}, locale="zh-CN")
        yield page
        browser.close()


def test_ask_in_the_browser_and_see_the_answer_with_its_citation(channel_bot, browser_page, tmp_path):
    page = browser_page
    outside = []
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(channel_bot.url) else None)
    page.goto(channel_bot.url + "/")
    assert page.title() == "质量活动助手"
    page.fill("#text", "化工优质工程投资额有什么要求")
    page.press("#text", "Enter")
    answer = page.locator(".msg.bot .bubble").last
    answer.locator(".cites li").wait_for(timeout=5000)
    assert answer.inner_text().startswith("收到：化工优质工程投资额有什么要求")
    assert answer.locator(".cites li").inner_text() == "《化学工业优质工程奖评选办法》第八条"
    assert page.locator(".msg.me .bubble").last.inner_text() == "化工优质工程投资额有什么要求"
    page.screenshot(path=str(Path(os.environ.get("SCREENSHOT_DIR", tmp_path)) / "web-chat.png"), full_page=True)
    assert outside == []  # no CDN: everything the page needs is served by the bot


def test_the_browser_keeps_one_session_so_follow_ups_share_a_conversation(channel_bot, browser_page):
    page = browser_page
    page.goto(channel_bot.url + "/")
    for text in ("第一问", "第二问"):
        page.fill("#text", text)
        page.click("#send")
        page.locator(".msg.bot .bubble", has_text=f"收到：{text}").wait_for(timeout=5000)
    first, second = channel_bot.handler.runs
    assert first[0] == "web" and first[1:3] == second[1:3]


def test_api_chat_answers_with_sources_and_citations(channel_bot):
    resp = requests.post(channel_bot.url + "/api/chat", json={"text": "投资额", "session": "abcdefgh1234"}, timeout=5)
    body = resp.json()
    assert resp.status_code == 200 and body["text"] == "收到：投资额"
    assert body["citations"] == ["《化学工业优质工程奖评选办法》第八条"]
    assert body["sources"][0]["ref"] == "第八条" and body["session"] == "abcdefgh1234"
    assert channel_bot.handler.runs == [("web", "abcdefgh1234", "abcdefgh1234", "投资额")]


def test_the_real_bot_answers_in_the_browser_citing_article_eight(real_bot, browser_page, tmp_path):
    page = browser_page
    page.goto(real_bot.url + "/")
    page.click("text=化工优质工程投资额有什么要求")  # the suggested question
    answer = page.locator(".msg.bot .bubble").nth(1)
    answer.locator(".cites li").first.wait_for(timeout=10000)
    assert "1亿元" in answer.inner_text()
    cites = answer.locator(".cites li").all_inner_texts()
    assert "《全面提升工程质量开展创建优质工程活动管理办法（试行）》第八条" in cites
    page.screenshot(path=str(Path(os.environ.get("SCREENSHOT_DIR", tmp_path)) / "web-chat-real.png"), full_page=True)
