"""Input no page can read (a NUL byte, bytes that are not UTF-8) is refused with the
portal's 400 page before any view, form or query sees it."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tests.conftest import make_user


@pytest.fixture
def signed_in(client, db):
    client.force_login(make_user("zhang"))
    return client


def refused(response) -> bool:
    return response.status_code == 400 and "无法识别该请求" in response.content.decode()


@pytest.mark.parametrize(
    "url",
    [
        "/grids/?q=%00",
        "/posts/?q=a%00b",
        "/events/residents/?grid=1&resident_q=%00",
        "/residents/?q=%FF%FE",
        "/grids/?a%00=1",
        "/admin/grids/grid/?kind__exact=a%00b",
        "/admin/autocomplete/?term=%00&app_label=grids&model_name=grid&field_name=community",
        "/grids/%00/",
        "/grids/%FF/",
    ],
)
def test_nul_and_broken_utf8_in_path_or_query_get_the_400_page(signed_in, url):
    assert refused(signed_in.get(url))


def test_nul_or_broken_utf8_in_form_data_gets_the_400_page(signed_in):
    form = "application/x-www-form-urlencoded"
    assert refused(signed_in.post("/accounts/login/", "username=a%00b&password=x", content_type=form))
    assert refused(signed_in.post("/accounts/login/", "username=%FF&password=x", content_type=form))
    assert refused(signed_in.post("/residents/import/", {"note": "a\x00b", "file": SimpleUploadedFile("a.xlsx", b"")}))


def test_a_nul_in_a_cookie_gets_the_400_page_before_the_session_is_read(db):
    client = Client()
    client.cookies["sessionid"] = "abcdefgh\x00"
    assert refused(client.get("/accounts/login/"))


def test_ordinary_chinese_input_and_an_escaped_percent_pass(signed_in, tree):
    assert signed_in.get("/grids/?q=%E4%B8%9C%E9%A3%8E").status_code == 200
    # The text "%00" (a percent sign, then two zeros) is not a NUL byte.
    assert signed_in.get("/grids/?q=%2500").status_code == 200
    form = "application/x-www-form-urlencoded"
    response = signed_in.post("/accounts/password/", "old_password=%2500%E4%B8%9C", content_type=form)
    assert response.status_code == 200
