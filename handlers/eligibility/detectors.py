"""Phrase tables that turn free text into facts (「还没开工」→拟建, 「近三年没出过事故」→无事故)."""
from __future__ import annotations

import re
from typing import Any

_C = r"[^，。,;；！!？?\n]"  # any character inside one clause


def _table(*rows: tuple[str, Any]) -> list[tuple[re.Pattern, Any]]:
    return [(re.compile(p, re.I), v) for p, v in rows]


def last_match(text: str, table: list[tuple[re.Pattern, Any]]) -> Any:
    """The value of the phrase that ends last; on a tie the longer phrase wins (「没有批复」 over 「有批复」)."""
    best = None
    for pattern, value in table:
        for m in pattern.finditer(text):
            rank = (m.end(), m.end() - m.start())
            if best is None or rank > best[0]:
                best = (rank, value)
    return None if best is None else best[1]


MEMBER = _table(
    (rf"(不是|并非|非|没有?加入|未加入|没入会|未入会|不属于){_C}{{0,8}}会员", False),
    (r"会员", True),
)
APPROVED = _table(
    (rf"(未|没有?|还没有?|尚未)(经过?|获得?|拿到|取得|办)?{_C}{{0,4}}(批复|批准|立项|备案|核准|批文|审批)", False),
    (r"(批复|立项|备案|核准|批文|审批|手续)(还没有?|没有?|未|尚未|还未)(拿到|下来|下达|办好?|通过|批)?(下来)?", False),
    (rf"(已|已经|获|获得|取得|拿到|有){_C}{{0,6}}(批复|批准|立项|备案|核准|批文)", True),
    (r"(批复|批准|立项|备案|核准|批)(过)?了", True),
    (rf"(批复|批文|立项|核准|备案|审批|手续){_C}{{0,4}}(拿到|下来|下达|有了|办好|办完|通过|完成|齐全|齐了)", True),
    (rf"(通过|拿到|取得){_C}{{0,4}}(审批|核准|备案|批复|批文)", True),
    (rf"(发改委|发改局|发改|主管部门|政府|国家|省|市|县){_C}{{0,4}}(批复|批准|核准|备案)", True),
)
INDEPENDENT = _table(
    (rf"(不|没有?|无|不具备|不具有|缺乏){_C}{{0,4}}独立的?(生产|使用|运行|运营|投产|功能|装置)?", False),
    (r"附属(工程|设施)|配套(工程|设施)?的一部分", False),
    (r"独立的?(生产|使用|运行|运营|投产|功能|装置)", True),
    (r"(能|可以|具备|具有|有)独立", True),
)
BUILD_TYPE = _table(
    (r"改扩建", "改扩建"), (r"新建", "新建"), (r"扩建", "扩建"), (r"改建", "改建"),
    (r"技术改造|技改", "技术改造"), (r"改造", "改造"), (r"大修", "大修"), (r"检修", "检修"),
    (r"维修|维护", "维修"), (r"装修|翻新", "装修"), (r"加固", "加固"), (r"搬迁|迁建", "搬迁"),
    (r"修缮", "修缮"), (r"重建", "重建"),
)
# 「不是新建，是改建」: a type right after a negation is the one being corrected away.
BUILD_NEGATION = re.compile(r"(不是|并非|不属于|非)$")
STAGE = _table(
    (r"(未|没有?|还没有?|尚未)(竣工|完工|建成|投产|交工)", "未竣工"),
    (r"(未|没有?|还没有?|尚未)开工|拟建|筹建|前期|准备开工|计划开工|即将开工|马上开工|立项阶段|设计阶段|可研|规划阶段", "拟建"),
    (r"在建|施工中|正在(施工|建设|建|安装)|已开工|已经开工|开工了|建设中|主体(施工|结构)|施工阶段|安装阶段|刚开工", "在建"),
    (r"已竣工|竣工了|已经竣工|已完工|完工了|已经完工|已建成|建成了|已经建成|已投产|投产了|已投用|投入使用|已交付|"
     r"交付使用|竣工验收|已交工|交工了", "已竣工"),
)
CHEMICAL_NO = re.compile(rf"(不是|非|并非|不属于){_C}{{0,4}}化工")
CHEMICAL_YES = re.compile(r"化工|石化|石油化工|炼化|炼油|化学|煤化工|化肥|乙烯|丙烯|甲醇|合成氨|氯碱|PTA|PX|农药|聚酯|芳烃", re.I)
NOT_CHEMICAL_KINDS = re.compile(r"房建|房屋建筑|住宅|写字楼|商业综合体|学校|医院|市政|道路|公路|桥梁|隧道|地铁|铁路|水利|机场|港口|体育馆")
TEAM_BASIC = _table(
    (r"施工班组", "施工班组"), (r"班组", "班组"), (r"项目经理部|项目部", "项目部"), (r"职能部门", "职能部门"),
    (r"车间", "车间"), (r"工段", "工段"), (r"科室", "科室"), (r"作业队", "作业队"), (r"工区", "工区"),
    (r"实验室|试验室", "实验室"),
)
TEAM_NOT_BASIC = _table(
    (r"QC小组", "QC小组"), (r"攻关小组|课题组", "攻关小组"), (r"临时(小组|团队|班子)", "临时小组"),
)
TEAM_COMPANY = _table((r"分公司|子公司", "分公司"), (r"公司|集团", "公司"), (r"事业部", "事业部"))
PLAN = _table(
    (rf"(没有?|无|未|还没有?|尚未)(制定|编制|做|写)?{_C}{{0,4}}(活动计划|计划|实施方案|方案)", False),
    (rf"(有|制定了?|编制了?|已有|做了|写了|定了){_C}{{0,6}}(活动计划|计划|实施方案|方案)", True),
    (rf"(活动计划|实施方案|计划|方案){_C}{{0,4}}(有|齐全|都有|已制定|制定了|做好了)", True),
)
# True means an accident happened, which is what the rule excludes.
ACCIDENT = _table(
    (rf"(无|没有?|未|从未|从没|没出过|零)(发生过?|出过?)?{_C}{{0,10}}事故", False),
    (r"零事故|无事故", False),
    (rf"(发生过?|出过|有过?){_C}{{0,10}}事故", True),
)
INVEST_WORDS = re.compile(r"总投资|投资额|投资|投了|投入|概算|估算|总造价")
CONTRACT_WORDS = re.compile(r"合同额|合同|承接|中标|承包|签约|分包")
DONT_KNOW = re.compile(r"不知道|不清楚|不确定|不了解|忘了|说不好|不好说|没数|还没定|没想好|不详")
NOTHING = re.compile(r"^(没有|没|无)(合同|合同额|投资)?[。！!，,]?$")
YES = re.compile(r"^(是|对|有|嗯|恩|已|具备|具有|属于|可以|能|当然|肯定|没错|符合|yes|ok|y$)", re.I)
NO = re.compile(r"^(不是|不|否|没有|没|无|未|还没|尚未|非|no$|n$)", re.I)
