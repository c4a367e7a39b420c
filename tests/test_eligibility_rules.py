"""Every program's declared conditions, table-driven: thresholds, each 或 branch, construction types, missing facts."""
import pytest

from handlers.eligibility.programs import PROGRAMS
from handlers.eligibility.verdict import also_eligible, evaluate, verdict_data

YI, WAN = 10**8, 10**4


def money(yuan: int) -> dict:
    return {"yuan": str(yuan), "raw": str(yuan), "approx": False}


def project(**over) -> dict:
    """A project that meets everything except what the test changes."""
    facts = {"member": True, "approved": True, "independent": True, "build_type": "新建", "chemical": True,
             "stage": "在建"}
    facts.update(over)
    return {k: v for k, v in facts.items() if v is not None}


def statuses(pid: str, facts: dict) -> dict:
    return {c["name"]: c["status"] for c in verdict_data(evaluate(pid, facts))["conditions"]}


# (program, investment limit, contract limit)
LIMITS = [
    ("quality", 1 * YI, 2000 * WAN), ("national", 1 * YI, 2000 * WAN), ("luban", 1 * YI, 2000 * WAN),
    ("green", 1 * YI, 2000 * WAN), ("premium", 5 * YI, 5000 * WAN), ("consulting", 5 * YI, 5000 * WAN),
]


@pytest.mark.parametrize("pid, inv_min, con_min", LIMITS)
@pytest.mark.parametrize("delta, expected", [(0, True), (-1, False), (1, True)])
def test_investment_branch_at_under_and_over_the_limit(pid, inv_min, con_min, delta, expected):
    ev = evaluate(pid, project(investment=money(inv_min + delta), contract="none"))
    assert ev.eligible is expected


@pytest.mark.parametrize("pid, inv_min, con_min", LIMITS)
@pytest.mark.parametrize("delta, expected", [(0, True), (-1, False), (1, True)])
def test_contract_branch_at_under_and_over_the_limit(pid, inv_min, con_min, delta, expected):
    ev = evaluate(pid, project(investment=money(inv_min - 1), contract=money(con_min + delta)))
    assert ev.eligible is expected


@pytest.mark.parametrize("pid, inv_min, con_min", LIMITS)
def test_either_branch_alone_is_enough(pid, inv_min, con_min):
    assert evaluate(pid, project(investment=money(inv_min))).eligible is True  # contract never asked
    assert evaluate(pid, project(contract=money(con_min))).eligible is True  # investment never asked
    assert evaluate(pid, project(investment="?", contract=money(con_min))).eligible is True


@pytest.mark.parametrize("pid, inv_min, con_min", LIMITS)
def test_below_on_one_branch_asks_for_the_other(pid, inv_min, con_min):
    ev = evaluate(pid, project(investment=money(inv_min - 1)))
    assert ev.eligible is None and ev.next_ask == "contract"
    ev = evaluate(pid, project(contract=money(con_min - 1)))
    assert ev.eligible is None and ev.next_ask == "investment"


@pytest.mark.parametrize("pid, inv_min, con_min", LIMITS)
def test_an_unknown_amount_stays_unknown_and_is_not_asked_again(pid, inv_min, con_min):
    ev = evaluate(pid, project(investment=money(inv_min - 1), contract="?"))
    assert ev.eligible is None and ev.decided


@pytest.mark.parametrize("pid, inv_min, con_min", LIMITS)
def test_an_amount_of_unknown_kind_decides_only_when_it_clears_both_limits(pid, inv_min, con_min):
    high = max(inv_min, con_min)
    assert evaluate(pid, project(amount_any=money(high))).eligible is True
    ev = evaluate(pid, project(amount_any=money(min(inv_min, con_min))))
    assert ev.eligible is None and ev.next_ask == "amount_kind"


@pytest.mark.parametrize("pid", ["quality", "luban", "premium", "consulting"])
@pytest.mark.parametrize("build_type, expected", [
    ("新建", True), ("扩建", True), ("改建", False), ("技术改造", False), ("改造", False), ("维修", False),
    ("大修", False), ("检修", False), ("装修", False), ("加固", False), ("搬迁", False), ("修缮", False),
    ("重建", False), ("改扩建", None),
])
def test_construction_types(pid, build_type, expected):
    ev = evaluate(pid, project(build_type=build_type, investment=money(10 * YI)))
    assert ev.eligible is expected


@pytest.mark.parametrize("stage, expected", [("拟建", True), ("在建", True), ("未竣工", True), ("已竣工", False)])
def test_consulting_only_for_projects_not_yet_completed(stage, expected):
    assert evaluate("consulting", project(stage=stage, investment=money(5 * YI))).eligible is expected


def test_completion_decides_consulting_at_once_without_asking_the_rest():
    ev = evaluate("consulting", {"stage": "已竣工"})
    assert ev.eligible is False and ev.decided and ev.next_ask is None


@pytest.mark.parametrize("pid", ["quality", "premium", "consulting", "luban"])
@pytest.mark.parametrize("fact", ["member", "approved", "independent"])
def test_each_yes_no_condition_fails_the_project(pid, fact):
    assert evaluate(pid, project(**{fact: False}, investment=money(10 * YI))).eligible is False


def test_consulting_requires_a_chemical_project():
    assert evaluate("consulting", project(chemical=False, investment=money(10 * YI))).eligible is False


@pytest.mark.parametrize("pid, order", [
    ("quality", ["member", "approved", "investment", "independent", "build_type"]),
    ("consulting", ["member", "chemical", "approved", "investment", "independent", "build_type", "stage"]),
    ("trusted_team", ["team_unit", "plan", "accident", "recommender"]),
])
def test_missing_facts_are_asked_in_the_documents_order(pid, order):
    facts, asked = {}, []
    answers = {"member": True, "chemical": True, "approved": True, "investment": money(9 * YI), "independent": True,
               "build_type": "扩建", "stage": "拟建", "team_unit": "项目部", "plan": True, "accident": False,
               "recommender": {"name": "广东省建筑业协会", "match": "广东省建筑业协会", "nearest": []}}
    while not (ev := evaluate(pid, facts)).decided:
        assert ev.eligible is None
        asked.append(ev.next_ask)
        facts[ev.next_ask] = answers[ev.next_ask]
    assert asked == order and ev.eligible is True


def test_self_checks_are_listed_and_do_not_hold_the_verdict_back():
    facts = {"team_unit": "施工班组", "plan": True, "accident": False,
             "recommender": {"name": "中国安装协会", "match": "中国安装协会", "nearest": []}}
    got = statuses("trusted_team", facts)
    assert evaluate("trusted_team", facts).eligible is True
    assert got["班组活动目标完成率在本组织突出，产品、服务质量达到同行业、同工序先进水平"] == "self_check"
    assert list(got.values()).count("self_check") == 4


@pytest.mark.parametrize("facts, expected", [
    ({"team_unit": "QC小组"}, False),
    ({"team_unit": "公司"}, False),
    ({"team_unit": "项目部", "plan": False}, False),
    ({"team_unit": "项目部", "plan": True, "accident": True}, False),
    ({"team_unit": "项目部", "plan": True, "accident": False,
      "recommender": {"name": "某某协会", "match": None, "nearest": ["中国安装协会"]}}, False),
    ({"team_unit": "项目部", "plan": True, "accident": False, "recommender": "?"}, None),
])
def test_trusted_team_conditions(facts, expected):
    assert evaluate("trusted_team", facts).eligible is expected


@pytest.mark.parametrize("pid, titles", [
    ("quality", ["《全面提升工程质量开展创建优质工程活动管理办法（试行）》"]),
    ("premium", ["《全面提升工程质量开展创建优质工程活动管理办法（试行）》"]),
    ("consulting", ["《咨询服务管理办法（试行）》"]),
    ("trusted_team", ["《关于开展2024年工程建设质量信得过班组活动的通知》", "《工程建设质量信得过班组活动管理办法》"]),
])
def test_every_condition_cites_its_document_by_exact_title_and_article(pid, titles):
    for cond in verdict_data(evaluate(pid, {}))["conditions"]:
        assert any(cond["ref"].startswith(t) and len(cond["ref"]) > len(t) for t in titles), cond


def test_consulting_cites_articles_five_eight_nine_and_ten():
    refs = {c["ref"] for c in verdict_data(evaluate("consulting", {}))["conditions"]}
    assert refs == {f"《咨询服务管理办法（试行）》第{n}条" for n in "五八九十"}


def test_missed_program_names_the_programs_the_project_does_meet():
    facts = project(investment=money(3 * YI), contract="none")
    assert evaluate("premium", facts).eligible is False
    assert also_eligible("premium", facts) == ["化学工业优质工程等（创建优质工程活动）"]
    assert also_eligible("quality", project(investment=money(6 * YI))) == [
        "化学工业优质精品工程", "全过程质量控制专项咨询服务"]


def test_all_programs_are_declared():
    assert {"quality", "national", "luban", "premium", "consulting", "trusted_team"} <= set(PROGRAMS)


def test_an_approximate_amount_next_to_the_limit_is_flagged_for_checking():
    facts = project(contract={"yuan": str(5000 * WAN), "raw": "五千万左右", "approx": True}, investment="none")
    ev = evaluate("premium", facts)
    assert ev.eligible is True
    detail = next(r.detail for c, r in ev.results if c.key == "amount")
    assert "约数且接近门槛" in detail
    far = project(contract={"yuan": str(9000 * WAN), "raw": "九千万左右", "approx": True})
    assert "约数" not in next(r.detail for c, r in evaluate("premium", far).results if c.key == "amount")
