"""The 65 recommending units of 附件2, read from the bundled notice and matched loosely."""
import pytest

from handlers.eligibility.units import find_unit_in, match_unit, recommending_units


def test_all_65_units_are_read_from_the_notice_in_order():
    units = recommending_units()
    assert len(units) == 65 and len(set(units)) == 65
    assert units[0] == "中国建筑股份有限公司"
    assert units[41] == "广东省建筑业协会"
    assert units[-1] == "云南省市政工程协会"


@pytest.mark.parametrize("said, listed", [
    ("广东建筑业协会", "广东省建筑业协会"),
    ("广东省建筑业协会", "广东省建筑业协会"),
    ("深圳市建筑业协会", "深圳建筑业协会"),
    ("新疆建筑业协会", "新疆维吾尔自治区建筑业协会"),
    ("内蒙古建筑业协会", "内蒙古自治区建筑业协会"),
    ("上海市政公路行业协会", "上海市市政公路行业协会"),
    ("北京市市政工程行业协会", "北京市政工程行业协会"),
    ("中国化工施工企业协会", "中国化工施工企业协会"),
    ("中国建筑", "中国建筑股份有限公司"),
    ("中建", "中国建筑股份有限公司"),
    ("中国交建", "中国交通建设集团有限公司"),
    ("江苏省建筑业协会", "江苏省建筑行业协会"),
    ("「广东省市政行业协会」", "广东省市政行业协会"),
])
def test_loose_names_find_the_listed_unit(said, listed):
    assert match_unit(said).match == listed


@pytest.mark.parametrize("said, near", [
    ("湖北省建筑业协会", "湖北省建设工程质量安全协会"),  # 湖北 has no 建筑业协会; must not become 河北's
    ("浙江省建筑业协会", "浙江省工程建设质量管理协会"),
    ("中国建筑业协会", "中国建筑业协会石化建设分会"),
])
def test_unknown_names_are_not_on_the_list_and_get_the_nearest_names(said, near):
    found = match_unit(said)
    assert found.match is None
    assert near in found.nearest and len(found.nearest) <= 3


def test_units_are_found_inside_a_sentence_only_by_their_full_name():
    assert find_unit_in("我们由广东建筑业协会推荐") == "广东省建筑业协会"
    assert find_unit_in("打算找中国建筑业协会推荐") is None  # not 中国建筑股份有限公司
