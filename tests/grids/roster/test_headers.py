"""Finding the header row of messy Excel rosters; no database needed."""

from __future__ import annotations

import pytest
from django.utils import translation

from grids.residents.cleaning import CellError
from grids.roster.headers import HEADER_ALIASES, find_header_row, match_header
from tests.grids.residents.test_cleaning import VALID_ID


@pytest.fixture(autouse=True)
def _english():
    translation.activate("en")
    yield
    translation.deactivate()


@pytest.mark.parametrize(
    ("field", "alias"),
    [
        pytest.param(field, alias, id=f"{field}-{alias}")
        for field, aliases in HEADER_ALIASES.items()
        for alias in aliases
    ],
)
def test_every_header_alias(field: str, alias: str) -> None:
    assert match_header([alias]) == {0: field}


@pytest.mark.parametrize(
    ("header", "field"),
    [
        pytest.param("姓 名", "name", id="inner-space"),
        pytest.param(" 姓名\u3000", "name", id="outer-spaces"),
        pytest.param("姓名*", "name", id="asterisk"),
        pytest.param("姓名＊", "name", id="full-width-asterisk"),
        pytest.param("身份证号（必填）", "id_number", id="full-width-required"),
        pytest.param("身份证号(必填)", "id_number", id="half-width-required"),
        pytest.param("身份证号 (必填)", "id_number", id="spaced-required"),
    ],
)
def test_header_decorations(header: str, field: str) -> None:
    assert match_header([header]) == {0: field}


def test_match_header_ignores_unknown_and_empty_cells() -> None:
    assert match_header(["序号", "姓名", None, "身份证号码", "爱好", "联系电话"]) == {
        1: "name",
        3: "id_number",
        5: "phone",
    }


def test_match_header_keeps_first_duplicate() -> None:
    assert match_header(["姓名", "电话", "身份证号", "手机号", "名字"]) == {0: "name", 1: "phone", 2: "id_number"}


def test_find_header_row_below_title_rows() -> None:
    rows = [
        ["东风社区人口信息表", None, None],
        ["填表单位：东风社区居委会", None, "填表日期：2024年5月"],
        ["序号", "姓名*", "公民身份号码（必填）"],
        [1, "张三", VALID_ID],
    ]
    assert find_header_row(rows) == (2, {1: "name", 2: "id_number"})


def test_find_header_row_skips_partial_header() -> None:
    rows = [["姓名", "备注"], ["姓名", "身份证号"]]
    assert find_header_row(iter(rows)) == (1, {0: "name", 1: "id_number"})


def test_find_header_row_custom_required() -> None:
    assert find_header_row([["姓名", "电话"]], required=("name", "phone")) == (0, {0: "name", 1: "phone"})


def test_no_header_row() -> None:
    rows = [["东风社区人口信息表"], ["序号", "姓名"], ["1", "张三"]]
    with pytest.raises(CellError) as caught:
        find_header_row(rows)
    message = str(caught.value)
    assert message.startswith("No header row found in the first 10 rows")
    assert "姓名" in message
    assert "公民身份号码" in message


def test_header_beyond_scan_is_not_found() -> None:
    rows = [["标题"]] * 3 + [["姓名", "身份证号"]]
    with pytest.raises(CellError, match="first 3 rows"):
        find_header_row(rows, scan=3)
