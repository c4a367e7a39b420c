"""The programs one can check, declared as conditions tied to the articles of the bundled documents."""
from __future__ import annotations

from dataclasses import dataclass

from handlers.eligibility.rules import (DECLINED, MET, NOT_MET, UNKNOWN, Check, Condition, Ref, amount_or,
                                       applicant_judges, fact_absent, fact_is, one_of)

AWARD_DOC = ("cncca-quality-award", "全面提升工程质量开展创建优质工程活动管理办法（试行）")
CONSULT_DOC = ("cncca-quality-consulting", "咨询服务管理办法（试行）")
NOTICE_DOC = ("cacem-trusted-team-2024", "关于开展2024年工程建设质量信得过班组活动的通知")
TEAM_DOC = ("cacem-trusted-team-2024", "工程建设质量信得过班组活动管理办法")

YI, WAN = 10**8, 10**4
BUILD_TYPES_OK = {"新建", "扩建"}
BUILD_TYPE_UNCLEAR = {"改扩建": "条文只写「新建或扩建」，改扩建项目请向协会秘书处确认"}
BASIC_UNITS = {"施工班组", "班组", "项目部", "职能部门", "车间", "工段", "科室", "作业队", "工区", "实验室", "基层组织"}


def _award(article: str) -> Ref:
    return Ref(*AWARD_DOC, article)


def _consult(article: str) -> Ref:
    return Ref(*CONSULT_DOC, article)


def _notice(article: str) -> Ref:
    return Ref(*NOTICE_DOC, article, label="通知")


def _team(article: str) -> Ref:
    return Ref(*TEAM_DOC, article, label="管理办法")


@dataclass(frozen=True)
class Note:
    """Advice printed with a verdict, with the article it comes from."""

    text: str
    ref: Ref


@dataclass(frozen=True)
class Program:
    """A program one may apply to, its documents, conditions and notes."""

    id: str
    name: str
    aliases: tuple[str, ...]
    docs: tuple[str, ...]
    conditions: tuple[Condition, ...]
    notes: tuple[Note, ...] = ()
    family: str = "project"  # programs of one family share facts, so their verdicts can be compared
    fix_example: str = "不对，投资是5亿"  # shown with the verdict: how to correct a fact


def _member(ref: Ref) -> Condition:
    return Condition("member", "会员单位（建设、勘察、设计、施工、监理、制造、科研院所等）投资或承接并参与建设的项目",
                     (ref,), fact_is("member", "会员单位", "不是协会会员单位"), brief="协会会员单位投资或承接并参与建设的项目")


def _project_conditions(ref: Ref, invest_min: int, contract_min: int, limits: str) -> tuple[Condition, ...]:
    return (
        Condition("approved", "经国家或地方主管部门批准建设", (ref,),
                  fact_is("approved", "已批准建设", "尚未经主管部门批准建设")),
        Condition("amount", limits, (ref,), amount_or(invest_min, contract_min)),
        Condition("independent", "具有独立生产能力或使用功能", (ref,),
                  fact_is("independent", "具有", "不具有独立生产能力或使用功能")),
        Condition("build_type", "新建或扩建项目", (ref,), one_of("build_type", BUILD_TYPES_OK, BUILD_TYPE_UNCLEAR,
                                                                   why="不属于新建或扩建")),
    )


_APPLY_FORM = Note("符合条件的项目开工后及时填报《创建优质工程申请表》（附件一），随时报协会秘书处。", _award("第九条"))
_PICKED_FROM_PREMIUM = Note("国家优质工程奖、鲁班奖从化学工业优质精品工程中择优推荐参评。", _award("第二十二条"))


def _award_program(pid: str, name: str, aliases: tuple[str, ...], notes: tuple[Note, ...] = ()) -> Program:
    conditions = (_member(_award("第四条")),) + _project_conditions(
        _award("第八条"), 1 * YI, 2000 * WAN, "投资额1亿元或合同额2000万元以上")
    return Program(pid, name, aliases, (AWARD_DOC[1],), conditions, (_APPLY_FORM,) + notes)


PREMIUM = Program(
    "premium", "化学工业优质精品工程",
    ("化学工业优质精品工程", "化工优质精品工程", "化学工业优质精品", "化工优质精品", "优质精品工程", "优质精品",
     "精品工程", "精品"),
    (AWARD_DOC[1],),
    (_member(_award("第四条")),) + _project_conditions(
        _award("第八条"), 5 * YI, 5000 * WAN, "投资额5亿元或合同额5000万元以上（精品工程）"),
    (_APPLY_FORM,),
)

CONSULTING = Program(
    "consulting", "全过程质量控制专项咨询服务",
    ("全过程质量控制专项咨询", "全过程质量控制", "全过程质量咨询", "全过程咨询", "全过程", "专项咨询", "质量咨询", "咨询服务"),
    (CONSULT_DOC[1],),
    (
        _member(_consult("第五条")),
        Condition("chemical", "化工工程项目", (_consult("第五条"),),
                  fact_is("chemical", "化工工程项目", "不是化工工程项目")),
    ) + _project_conditions(_consult("第八条"), 5 * YI, 5000 * WAN, "投资额5亿元或合同额5000万元以上") + (
        Condition("stage", "拟建或在建项目（未竣工）", (_consult("第八条"),),
                  one_of("stage", {"拟建", "在建", "未竣工"}, why="：只受理拟建和在建项目")),
        Condition("goals", "质量目标明确；注重科技创新和新技术应用；践行绿色建造理念", (_consult("第九条"),),
                  applicant_judges, self_check=True, brief="质量目标明确、注重科技创新、践行绿色建造"),
        Condition("influence", "在本行业具有一定的影响力、代表性和先进性", (_consult("第十条"),),
                  applicant_judges, self_check=True, brief="在本行业有一定影响力、代表性和先进性"),
    ),
    (Note("工程建设过程中由委托单位提出申请，随时报协会秘书处；多家联合实施的项目应明确主申报单位。", _consult("第十一条")),),
)

TRUSTED_TEAM = Program(
    "trusted_team", "工程建设质量信得过班组活动",
    ("工程建设质量信得过班组", "质量信得过班组", "信得过班组", "信得过"),
    (NOTICE_DOC[1], TEAM_DOC[1]),
    (
        Condition("team_unit", "企业最基础的正式组织单元（施工班组、项目部、职能部门等基层组织）",
                  (_notice("四（一）"), _team("第二条")), one_of("team_unit", BASIC_UNITS,
                                                                          why="不是企业最基础的正式组织单元（可由其所在的班组、项目部参加）")),
        Condition("plan", "制定了本班组的活动计划、实施方案", (_team("第六条"),),
                  fact_is("plan", "已制定", "尚未制定活动计划和实施方案")),
        Condition("accident", "班组近三年无质量、安全、环保事故", (_team("第六条（五）"),),
                  fact_absent("accident", "近三年无事故", "近三年发生过事故")),
        Condition("recommender", "由附件2所列推荐单位推荐", (_notice("四（三）及附件2"),),
                  lambda facts: _recommender(facts)),
        Condition("base", "以提升质量为目标、以顾客为焦点，注重现场管理，基础管理工作健全、落实",
                  (_team("第六条（一）"),), applicant_judges, self_check=True, brief="基础管理健全"),
        Condition("awareness", "班组成员质量意识、服务意识强，素质、技能、执行力和创新力持续提升",
                  (_team("第六条（二）"),), applicant_judges, self_check=True, brief="质量意识强、素质持续提升"),
        Condition("improvement", "积极参与群众性质量改进活动，有组织地开展班组活动", (_team("第六条（三）"),),
                  applicant_judges, self_check=True, brief="参与群众性质量改进活动"),
        Condition("results", "班组活动目标完成率在本组织突出，产品、服务质量达到同行业、同工序先进水平", (_team("第六条（四）"),),
                  applicant_judges, self_check=True, brief="活动目标完成率在本组织突出"),
    ),
    (Note("2024年活动于5月1日至30日由各地方（行业）协会推荐，并组织企业网上申报；其他年份以当年通知为准。", _notice("二（一）")),),
    family="team",
    fix_example="不对，近三年没有事故",
)


def _recommender(facts: dict) -> Check:
    value = facts.get("recommender")
    if value is None:
        return Check(UNKNOWN, "", ask="recommender")
    if value == DECLINED:
        return Check(UNKNOWN, "尚未确定推荐单位，须为附件2所列65家之一")
    if value.get("match"):
        return Check(MET, f"「{value['match']}」在名单中")
    nearest = "、".join(value.get("nearest") or ())
    hint = f"；相近的有：{nearest}" if nearest else ""
    return Check(NOT_MET, f"「{value['name']}」不在附件2名单中{hint}")


PROGRAMS: dict[str, Program] = {p.id: p for p in (
    _award_program("quality", "化学工业优质工程", ("化学工业优质工程", "化工优质工程", "化学工业优质", "化工优质", "创建优质工程", "优质工程", "创优")),
    _award_program("national", "国家优质工程", ("国家优质工程", "国优"), (_PICKED_FROM_PREMIUM,)),
    _award_program("luban", "鲁班奖工程", ("鲁班奖", "鲁班"), (_PICKED_FROM_PREMIUM,)),
    _award_program("green", "绿色施工、安全文明施工（创建优质工程活动）", ("绿色施工", "安全文明施工", "绿色设计")),
    PREMIUM,
    CONSULTING,
    TRUSTED_TEAM,
)}

# Offered when the user has not named a program; answered by number or name.
MENU = ("quality", "premium", "luban", "consulting", "trusted_team")

# Documents in the corpus that name awards but set no conditions one could check; asked about, we say so.
UNDECLARED = {
    ("丹河杯", "丹河", "泽州"): (
        "《泽州县打造精品工程推动泽州建设高质量发展实施方案》只规定了精品工程的六项要素（三、评价标准）和"
        "「丹河」杯评选的奖励（六、（一）2），具体评价标准由县住房和城乡建设管理局另行制定，没有写申报资格条件，"
        "所以我无法替您做资格评估，请向泽州县住房和城乡建设管理局咨询。"
    ),
}
