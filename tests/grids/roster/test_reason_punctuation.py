"""Reasons given for rejected rows read as Chinese sentences: no "。；", lists joined with 、."""

from __future__ import annotations

import io

import openpyxl
import pytest
from django.utils import translation

from grids.residents.cleaning import CellError, choice_cleaner
from grids.roster.headers import find_header_row
from tests.grids.roster.test_import import HEADER, job_of, person, upload, xlsx


@pytest.fixture
def admin_client(client, personas):
    client.force_login(personas["street_admin"])
    return client


def test_a_row_with_two_reasons_has_one_full_stop_at_the_end(admin_client, tree):
    bad = person("王五", "303", phone="12345")
    bad[1] = bad[1][:-1] + ("0" if bad[1][-1] != "0" else "1")  # wrong check digit
    job = job_of(upload(admin_client, xlsx([HEADER, person(), bad])))
    response = admin_client.get(f"/residents/import/{job.pk}/rejected.xlsx")
    reason = list(openpyxl.load_workbook(io.BytesIO(response.content)).active.values)[1][-1]
    assert "；" in reason, reason
    assert "。；" not in reason and "。。" not in reason
    assert reason.endswith("。")


def test_lists_inside_chinese_messages_are_joined_with_the_enumeration_comma():
    with translation.override("zh-hans"):
        with pytest.raises(CellError) as choice:
            choice_cleaner({"户籍人口": "registered", "流动人口": "migrant"}, "居住类型")("外星人")
        with pytest.raises(CellError) as header:
            find_header_row([["甲", "乙"]])
    assert "户籍人口、流动人口" in str(choice.value)
    assert "姓名、" in str(header.value) and ", " not in str(header.value)
