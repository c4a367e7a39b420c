"""Facts taken from free text the way staff type them."""
import pytest

from handlers.eligibility.facts import extract


def _yuan(update):
    return int(update["yuan"])


@pytest.mark.parametrize("text, program", [
    ("我们项目能报鲁班奖吗", "luban"), ("帮我看看能不能申请全过程咨询", "consulting"),
    ("我们班组能参加信得过班组活动吗", "trusted_team"), ("能报精品吗", "premium"), ("国优能报吗", "national"),
    ("我们项目投资3亿能报创优吗", "quality"), ("化学工业优质精品工程", "premium"),
    ("资格评估", None),
    ("鲁班", "luban"), ("化工优质精品", "premium"), ("化工优质", "quality"), ("全过程", "consulting"),
])
def test_program_is_recognised(text, program):
    assert extract(text).program == program


def test_one_long_sentence_gives_every_fact():
    ext = extract("我们是协会会员单位，项目已经发改委批复，总投资3个亿，合同额8000万，新建的，建成后能独立生产，"
                  "化工项目，目前在建，能报精品吗")
    u = ext.updates
    assert ext.program == "premium"
    assert _yuan(u["investment"]) == 300_000_000 and _yuan(u["contract"]) == 80_000_000
    assert (u["member"], u["approved"], u["independent"], u["chemical"]) == (True, True, True, True)
    assert (u["build_type"], u["stage"]) == ("新建", "在建")


@pytest.mark.parametrize("text, slot, value", [
    ("投了3个亿", "investment", 300_000_000), ("合同额五千万左右", "contract", 50_000_000),
    ("不对，投资是5亿", "investment", 500_000_000), ("3亿的投资", "investment", 300_000_000),
    ("中标价2,000万元", "contract", 20_000_000), ("我们项目3亿", "amount_any", 300_000_000),
])
def test_amounts_are_assigned_by_the_words_around_them(text, slot, value):
    assert _yuan(extract(text).updates[slot]) == value


def test_an_amount_answering_the_pending_question_fills_it():
    assert _yuan(extract("8000万", asking="contract").updates["contract"]) == 80_000_000
    assert _yuan(extract("8000万", asking="investment").updates["investment"]) == 80_000_000


@pytest.mark.parametrize("text, asking, slot", [("3", "investment", "investment"), ("投资3", None, "investment"),
                                                ("大概5000吧", "contract", "contract")])
def test_a_bare_number_is_held_for_confirmation(text, asking, slot):
    ext = extract(text, asking=asking)
    assert ext.bare["slot"] == slot and slot not in ext.updates


@pytest.mark.parametrize("text, slot, value", [
    ("扩建", "build_type", "扩建"), ("是新建项目", "build_type", "新建"), ("不是新建，是改建", "build_type", "改建"),
    ("技改项目", "build_type", "技术改造"), ("我们是改扩建，算扩建吗", "build_type", "改扩建"),
    ("改扩建", "build_type", "改扩建"), ("属于维修工程", "build_type", "维修"),
    ("还没开工", "stage", "拟建"), ("拟建", "stage", "拟建"), ("正在施工", "stage", "在建"),
    ("还没竣工", "stage", "未竣工"), ("去年已竣工", "stage", "已竣工"), ("已经投产了", "stage", "已竣工"),
    ("项目还没有批复", "approved", False), ("已经立项了", "approved", True), ("发改委核准了", "approved", True),
    ("立项批复拿到了", "approved", True), ("审批已经通过", "approved", True), ("批复还没下来", "approved", False),
    ("不具备独立生产能力", "independent", False), ("能独立运行", "independent", True),
    ("我们不是会员", "member", False), ("我们是会员单位", "member", True),
    ("这是个住宅项目", "chemical", False), ("煤化工项目", "chemical", True), ("不是化工项目", "chemical", False),
    ("我们是项目部", "team_unit", "项目部"), ("我们是QC小组", "team_unit", "QC小组"),
    ("有活动计划和实施方案", "plan", True), ("还没有制定计划", "plan", False),
    ("近三年无质量、安全、环保事故", "accident", False), ("去年出过一次安全事故", "accident", True),
])
def test_phrases_become_facts(text, slot, value):
    assert extract(text).updates[slot] == value


def test_program_names_do_not_count_as_facts():
    # 「化学工业优质工程」 names a program, not a chemical project; 「信得过班组」 is not the user's team.
    assert "chemical" not in extract("能报化学工业优质工程吗").updates
    assert "team_unit" not in extract("信得过班组活动什么时候报名").updates


@pytest.mark.parametrize("text, asking, value", [
    ("是的", "member", True), ("不是", "member", False), ("没有", "accident", False), ("有", "plan", True),
    ("不知道", "investment", "?"), ("没有", "contract", "none"), ("不清楚", "recommender", "?"),
    ("投资", "amount_kind", "investment"), ("合同额", "amount_kind", "contract"),
])
def test_short_answers_fill_the_pending_question(text, asking, value):
    assert extract(text, asking=asking).updates[asking] == value


@pytest.mark.parametrize("text, asking", [("由中国化工施工企业协会推荐", None), ("中国化工施工企业协会", "recommender"),
                                          ("推荐单位是中国化工施工企业协会", None)])
def test_the_chemical_association_is_a_recommender_too(text, asking):
    assert extract(text, asking=asking).updates["recommender"]["match"] == "中国化工施工企业协会"


def test_recommender_from_a_sentence_or_an_answer():
    listed = extract("由广东建筑业协会推荐").updates["recommender"]
    assert listed["match"] == "广东省建筑业协会"
    unknown = extract("湖北省建筑业协会", asking="recommender").updates["recommender"]
    assert unknown["match"] is None and "湖北省建设工程质量安全协会" in unknown["nearest"]


def test_questions_in_between_give_no_facts():
    for text in ("第八条怎么说的", "创优申请表什么时候交", "近三年是指哪三年"):
        assert not extract(text, asking="investment").updates


@pytest.mark.parametrize("text, program", [("1", "quality"), ("2", "premium"), ("第三个", "luban"), ("选4", "consulting"),
                                           ("第5项", "trusted_team"), ("6", None), ("鲁班", "luban")])
def test_the_program_menu_is_answered_by_number_or_name(text, program):
    assert extract(text, asking="program").program == program
