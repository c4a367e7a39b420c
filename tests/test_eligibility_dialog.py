"""The eligibility conversation through the dispatcher, as a user experiences it."""
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core.message import Message
from bot.services import build_services
from bot.testing import TestBot
from handlers import qa
from handlers.eligibility import EligibilityHandler

@pytest.fixture(scope="module")
def shared_kb(tmp_path_factory):
    """One knowledge base for the module: the dialog tests need fresh conversation state, not a fresh index."""
    from bot.core.config import Config

    url = f"sqlite:///{tmp_path_factory.mktemp('kb') / 'kb.db'}"
    svc = build_services(Config.from_env(env={}, database_url=url))
    yield svc.kb
    svc.engine.dispose()


@pytest.fixture
def services(config, clock, shared_kb):
    """Database and dispatcher for one test, on the module's knowledge base."""
    svc = build_services(config, clock=clock, kb=shared_kb)
    yield svc
    svc.engine.dispose()


FULL = "我们是协会会员单位，项目已经发改委批复，总投资3个亿，新建的，建成后能独立生产，能报鲁班奖吗"


def talk(bot, *lines):
    replies = [bot.say(line) for line in lines]
    return replies[-1]


def asking(reply):
    return reply.data.get("eligibility", {}).get("asking")


def verdict(reply):
    return reply.data["verdict"]


def test_all_facts_in_one_sentence_give_the_verdict_at_once(testbot):
    reply = testbot.say(FULL)
    v = verdict(reply)
    assert v["program"] == "鲁班奖工程" and v["eligible"] is True
    assert all(c["status"] == "met" for c in v["conditions"])
    assert "✅ 符合申请条件" in reply.text and "第八条" in reply.text and "第四条" in reply.text
    assert len(reply.text.encode("utf-8")) <= 2048
    assert "**结论：✅ 符合申请条件**" in reply.markdown and "\n- ✅ 经国家或地方主管部门批准建设（第八条）" in reply.markdown


def test_facts_one_per_turn_with_a_correction_in_the_middle(testbot):
    r = testbot.say("我们项目能报创优吗")
    assert asking(r) == "member" and ("例如" in r.text or "可回答" in r.text)
    assert asking(testbot.say("是的")) == "approved"
    assert asking(testbot.say("已经立项了")) == "investment"
    r = testbot.say("8000万")
    assert asking(r) == "contract" and "8000万元" in r.text
    r = testbot.say("不对，投资是1亿")
    assert "已更正" in r.text and asking(r) == "independent"  # exactly 1亿 meets 「1亿元以上」
    assert asking(testbot.say("能独立生产")) == "build_type"
    r = testbot.say("扩建")
    v = verdict(r)
    assert v["eligible"] is True and v["program"] == "化学工业优质工程"
    amount = next(c for c in v["conditions"] if "投资额" in c["name"])
    assert amount["status"] == "met" and amount["ref"] == "《全面提升工程质量开展创建优质工程活动管理办法（试行）》第八条"


def test_a_bare_number_is_confirmed_not_guessed(testbot):
    talk(testbot, "我们项目能报鲁班奖吗", "是", "已批复")
    r = testbot.say("3")
    assert "3亿元" in r.text and "3万元" in r.text and r.data["eligibility"]["confirming"]
    r = testbot.say("3亿")
    assert "投资额3亿元" in r.text and asking(r) == "independent"


def test_a_missed_program_names_the_programs_the_project_does_meet(testbot):
    r = talk(testbot, "我们是会员，项目已批复，投资3亿，新建，能独立生产，能报精品吗", "没有")
    v = verdict(r)
    assert v["program"] == "化学工业优质精品工程" and v["eligible"] is False
    assert "可以申报：化学工业优质工程" in r.text


def test_completion_decides_consulting_immediately(testbot):
    testbot.say("帮我看看能不能申请全过程咨询")
    r = testbot.say("项目已竣工")
    v = verdict(r)
    assert v["eligible"] is False
    stage = next(c for c in v["conditions"] if c["name"].startswith("拟建或在建"))
    assert stage["status"] == "not_met" and stage["ref"] == "《咨询服务管理办法（试行）》第八条"
    assert any(c["status"] == "self_check" for c in v["conditions"])


def test_trusted_team_with_an_unlisted_recommender_gets_the_nearest_names(testbot):
    r = talk(testbot, "我们班组能参加信得过班组活动吗", "有活动计划和实施方案", "近三年没有发生过事故")
    assert asking(r) == "recommender"
    r = testbot.say("湖北省建筑业协会")
    v = verdict(r)
    assert v["eligible"] is False and "不在附件2名单中" in r.text and "湖北省建设工程质量安全协会" in r.text
    r = testbot.say("不对，由广东建筑业协会推荐")
    assert verdict(r)["eligible"] is True and "广东省建筑业协会" in r.text
    assert "活动目标完成率在本组织突出" in r.text  # a self-check, listed but not blocking
    assert "✅ 班组近三年无质量、安全、环保事故（管理办法第六条（五））：近三年无事故" in r.text


def test_cancel_ends_the_dialog(testbot):
    testbot.say("我们项目能报鲁班奖吗")
    assert "已取消" in testbot.say("取消").text
    r = testbot.say("是的")
    assert "eligibility" not in r.data and "verdict" not in r.data


def test_the_dialog_survives_a_restart(config, clock, shared_kb):
    first = build_services(config, clock=clock, kb=shared_kb)
    talk(TestBot(first, user_id="u1"), "我们项目能报鲁班奖吗", "是", "已批复")
    first.engine.dispose()
    again = build_services(config, clock=clock, kb=shared_kb)  # a new process on the same database
    bot = TestBot(again, user_id="u1")
    r = talk(bot, "投资2亿", "是", "新建")
    assert verdict(r)["eligible"] is True
    again.engine.dispose()


def test_the_dialog_expires_after_30_idle_minutes(testbot, clock):
    testbot.say("我们项目能报鲁班奖吗")
    clock.advance(minutes=29)
    assert asking(testbot.say("是")) == "approved"
    clock.advance(minutes=31)
    r = testbot.say("已批复")
    assert "超过30分钟" in r.text and "eligibility" not in r.data
    assert "eligibility" not in testbot.say("是的").data  # nothing left to continue


def test_a_question_in_between_is_answered_and_the_place_is_kept(testbot, services):
    talk(testbot, "我们项目能报鲁班奖吗", "是")
    r = testbot.say("第八条怎么说的")
    expected = qa.answer(Message("test", "tester", "tester", "第八条怎么说的"), services.dispatcher.ctx).text
    assert r.text.startswith(expected[:40])
    assert "资格评估还在进行" in r.text and "批准建设" in r.text and asking(r) == "approved"
    r = testbot.say("创优申请表什么时候交")
    assert asking(r) == "approved" and r.data["eligibility"]["program"] == "luban"
    r = testbot.say("鲁班奖要求新建吗")  # a question about the rule, not a fact about the project
    assert "资格评估还在进行" in r.text and "已记录" not in r.text
    assert asking(testbot.say("已经批复了")) == "investment"


def test_ordinary_rule_questions_are_left_to_qa_when_no_dialog_runs(services):
    handler, ctx = EligibilityHandler(), services.dispatcher.ctx
    for text in ("创优对投资额有什么要求", "鲁班奖的申报条件是什么", "什么项目可以报鲁班奖", "创优申请表什么时候交",
                 "项目部能不能作为班组报", "我们项目投资多少才能报鲁班奖"):
        assert not handler.matches(Message("test", "c", "u", text), ctx), text
    for text in ("我们项目投资3亿能报创优吗", "资格评估", "我们项目能报鲁班奖吗", "帮我看看能不能申请全过程咨询",
                 "投资3亿能报创优吗", "我们班组能参加信得过班组活动吗"):
        assert handler.matches(Message("test", "c", "u", text), ctx), text


def test_a_check_without_a_program_offers_the_menu(testbot):
    r = testbot.say("资格评估")
    assert asking(r) == "program" and "1. 化学工业优质工程" in r.text
    r = testbot.say("4")
    assert r.data["eligibility"]["program"] == "consulting"


def test_state_is_kept_per_user_in_a_group_chat(services):
    alice = TestBot(services, user_id="alice", chat_id="group1", is_group=True)
    bob = TestBot(services, user_id="bob", chat_id="group1", is_group=True)
    alice.say("我们项目能报鲁班奖吗")
    assert "eligibility" not in bob.say("是的").data
    assert asking(alice.say("是的")) == "approved"


def test_a_program_without_conditions_is_explained_not_checked(testbot):
    r = testbot.say("我们项目能报泽州丹河杯吗")
    assert "没有写申报资格条件" in r.text and "verdict" not in r.data


@pytest.mark.parametrize("lines", [
    ["我们班组能参加信得过班组活动吗", "有计划", "没有", "中国铁道建筑协会"],
    ["帮我看看能不能申请全过程咨询", "不是会员"],
    ["我们项目能报国优吗", "不知道", "不知道", "不知道", "不知道", "不知道", "改扩建"],
])
def test_verdicts_fit_one_chat_message(testbot, lines):
    r = talk(testbot, *lines)
    assert "verdict" in r.data and len(r.text.encode("utf-8")) <= 2048


def test_another_program_reuses_the_facts_and_a_new_project_starts_afresh(testbot):
    testbot.say("投资两个亿，合同额3000万，改建，能报鲁班奖吗")
    r = testbot.say("那全过程咨询呢")
    assert verdict(r)["program"] == "全过程质量控制专项咨询服务" and "沿用" in r.text
    r = testbot.say("换个项目")
    assert asking(r) == "program"
    r = testbot.say("1")
    assert asking(r) == "member"  # nothing carried over from the previous project


_chat_text = st.text(alphabet=st.sampled_from(list("我们项目投资合同额亿万元千百十一二三五八0123456789.,，。？是不没有新建扩建改竣工在拟"
                                                   "会员批复独立班组推荐协会广东省取消第条吗呢 ")), max_size=30)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(_chat_text, min_size=1, max_size=6))
def test_any_input_gets_a_chinese_reply_that_fits_never_a_crash(testbot, lines):
    testbot.say("资格评估")
    for line in lines:
        reply = testbot.say(line)
        assert reply.text and "抱歉，处理您的消息时出了点问题" not in reply.text
        assert len(reply.text.encode("utf-8")) <= 2048
    testbot.say("取消")


def test_the_dialog_survives_a_restart_on_postgresql(pg_url, clock):
    from bot.core.config import Config

    config = Config.from_env(env={}, database_url=pg_url)
    first = build_services(config, clock=clock)
    talk(TestBot(first, user_id="u1", channel="wecom"), "我们项目能报鲁班奖吗", "是", "已批复", "投了1.5个亿")
    first.engine.dispose()
    again = build_services(config, clock=clock)
    r = talk(TestBot(again, user_id="u1", channel="wecom"), "能独立运行", "扩建")
    v = verdict(r)
    assert v["eligible"] is True and "投资额1.5亿元" in r.text
    again.engine.dispose()


def test_a_new_request_for_the_same_program_does_not_inherit_the_last_teams_facts(testbot):
    r = testbot.say("我们项目部近三年没有发生过事故，制定了活动计划，由广东建筑业协会推荐，能参加信得过班组活动吗")
    assert verdict(r)["eligible"] is True
    r = testbot.say("我们公司的钢筋班组能报信得过班组吗")
    assert "verdict" not in r.data and asking(r) == "plan"


def test_an_amount_of_unknown_kind_is_asked_about_then_asked_for_separately(testbot):
    r = talk(testbot, "我们项目5000万，能报精品吗", "是", "已批复")
    assert asking(r) == "amount_kind" and "5000万元" in r.text
    r = testbot.say("不清楚")
    assert asking(r) == "investment"
    r = testbot.say("6亿")
    assert asking(r) == "independent"


def test_a_positive_verdict_also_names_the_higher_programs_met(testbot):
    r = testbot.say("我们是会员单位，扩建的乙烯装置，投资概算8.5亿，已核准，在建，能独立生产，能报化工优质工程吗")
    v = verdict(r)
    assert v["eligible"] is True and "同时符合：化学工业优质精品工程、全过程质量控制专项咨询服务" in r.text
    assert {"program": "化学工业优质精品工程", "eligible": True} in v["alternatives"]


@pytest.mark.parametrize("bad", [{"program": "gone", "facts": {}}, {"program": "luban", "facts": "x"}, {"asking": 1}])
def test_unreadable_stored_state_is_replaced_not_a_crash(testbot, services, bad):
    services.state.put(("test", "tester", "tester"), "eligibility", bad)
    assert "抱歉，处理您的消息时出了点问题" not in testbot.say("是的").text
    assert asking(testbot.say("我们项目能报鲁班奖吗")) == "member"
