"""The access log's 详情 column says in words what was looked at, not the raw query string."""

from __future__ import annotations

import pytest
from django.utils import translation

from grids import pii
from grids.models import PersonalDataAccess, PopulationTag
from grids.residents.access_details import describe

LOG = "/residents/access-log/"


def _details(body: str) -> list[str]:
    """The 详情 cells of the log's table, in order."""
    cells = body.split('<td class="small text-muted text-break">')[1:]
    return [cell.split("</td>", 1)[0] for cell in cells]


def test_a_searched_filtered_page_reads_as_words(client, personas, tree):
    admin = personas["street_admin"]
    tag = PopulationTag.objects.get(name="独居老人")
    pii.log_access(
        user=admin,
        action=PersonalDataAccess.Action.LIST,
        street_id=tree.s1.pk,
        detail=f"q=%E5%BC%A0&grid={tree.g11.pk}&tag={tag.pk}&residence_type=migrant&age_min=60&moved_out=all&page=2",
    )
    client.force_login(admin)
    body = client.get(LOG).content.decode()
    assert _details(body) == [
        "搜索“张”、网格：东风社区 · 东风第一网格、人员标签：独居老人、居住类型：流动人口、含已迁出、第 2 页、"
        "60 岁及以上"
    ]
    assert "q=" not in body and "grid=" not in body


def test_an_export_says_how_many_were_unmasked(client, personas, tree):
    admin = personas["street_admin"]
    pii.log_access(
        user=admin,
        action=PersonalDataAccess.Action.EXPORT,
        street_id=tree.s1.pk,
        count=12,
        detail="building=3&age_min=18&age_max=35 unmasked=12",
    )
    pii.log_access(user=admin, action=PersonalDataAccess.Action.EXPORT, street_id=tree.s1.pk, detail=" unmasked=0")
    client.force_login(admin)
    body = client.get(LOG).content.decode()
    assert _details(body) == ["未脱敏 0 人", "楼栋：3、18 至 35 岁、未脱敏 12 人"]
    assert "导出居民" in body


def test_a_grid_the_reader_may_not_see_keeps_its_number(client, personas, tree):
    admin = personas["street_admin"]
    # Logged in this street, naming a grid of another street (a hand-edited address).
    pii.log_access(
        user=admin, action=PersonalDataAccess.Action.LIST, street_id=tree.s1.pk, detail=f"grid={tree.g31.pk}"
    )
    client.force_login(admin)
    body = client.get(LOG).content.decode()
    assert _details(body) == [f"网格：编号 {tree.g31.pk}"]
    assert "白云" not in body


def test_a_single_resident_view_and_an_unfiltered_list(client, personas, tree):
    admin = personas["street_admin"]
    pii.log_access(user=admin, action=PersonalDataAccess.Action.LIST, street_id=tree.s1.pk, detail="")
    client.force_login(admin)
    assert _details(client.get(LOG).content.decode()) == ["全部居民"]


@pytest.mark.parametrize(
    "detail,expected",
    [
        ("grid=99999999999999999999999&tag=-1", ["网格：编号 99999999999999999999999", "人员标签：编号 -1"]),
        ("q=%ff%fe&page=", ["搜索“\ufffd\ufffd”"]),
        ("x=%3Cscript%3E", ["x=<script>"]),
        ("q=" + "张" * 200, ["搜索“" + "张" * 200 + "”"]),
    ],
)
def test_odd_stored_queries_are_shown_as_asked(detail, expected):
    with translation.override("zh-hans"):
        assert describe(detail, grids={}, tags={}) == expected


def test_log_page_names_grids_in_a_fixed_number_of_queries(client, personas, tree, django_assert_max_num_queries):
    admin = personas["street_admin"]
    for i in range(60):
        grid = (tree.g11, tree.g12, tree.g21)[i % 3]
        pii.log_access(
            user=admin, action=PersonalDataAccess.Action.LIST, street_id=tree.s1.pk, detail=f"grid={grid.pk}&page={i}"
        )
    client.force_login(admin)
    with django_assert_max_num_queries(10):
        body = client.get(LOG).content.decode()
    assert body.count("网格：") == 50 and body.count("网格：农林社区 · 农林第一网格") == 17
