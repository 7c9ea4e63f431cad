"""The system admin reads in Chinese: its header, the lockout records of django-axes and
the population tags that README says are edited there."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib.auth import get_user_model

from grids.models import PopulationTag

# Letters that are not interface words: abbreviations Chinese interfaces use as they are.
ALLOWED = {"IP", "ID"}
WORD = re.compile(r"[A-Za-z]{2,}")
# Not "alt": Django's admin hard-codes English alt text on two icons (search, yes/no) outside any
# catalogue; the icons sit next to Chinese text that says the same.
VISIBLE_ATTRIBUTES = {"title", "placeholder", "aria-label"}


class _Text(HTMLParser):
    """The text a user reads: text nodes, titles, placeholders and button captions."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"script", "style"}:
            self._skip += 1
        values = dict(attrs)
        for name in VISIBLE_ATTRIBUTES:
            if values.get(name):
                self.parts.append(values[name] or "")
        if tag == "input" and values.get("type") in {"submit", "button"} and values.get("value"):
            self.parts.append(values["value"] or "")

    def handle_endtag(self, tag: str) -> None:
        if tag in {"script", "style"}:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def english_words(html: str) -> set[str]:
    parser = _Text()
    parser.feed(html)
    return {w for w in WORD.findall(" ".join(parser.parts)) if w not in ALLOWED}


@pytest.fixture
def admin_client(client, db):
    # A Chinese user name, so that the words found are the interface's own.
    user = get_user_model().objects.create_superuser(username="管理员", password="test-pass-2026", first_name="陈志明")
    client.force_login(user)
    return client


@pytest.fixture
def lockout_records(db):
    # Logging the admin in made a record of axes' own "<unknown>" placeholders; only the ones made here stay.
    AccessLog.objects.all().delete()
    fields = {"ip_address": "10.0.0.1", "user_agent": "浏览器", "path_info": "/", "http_accept": "*/*"}
    attempt = AccessAttempt.objects.create(username="张三", get_data="", post_data="", failures_since_start=7, **fields)
    AccessFailureLog.objects.create(username="张三", locked_out=True, **fields)
    log = AccessLog.objects.create(username="李四", **fields)
    return attempt, log


ADMIN_PAGES = [
    "/admin/",
    "/admin/axes/",
    "/admin/axes/accessattempt/",
    "/admin/axes/accessfailurelog/",
    "/admin/axes/accesslog/",
    "/admin/grids/populationtag/",
    "/admin/grids/populationtag/add/",
]


@pytest.mark.parametrize("url", ADMIN_PAGES)
def test_admin_pages_have_no_english_interface_words(admin_client, lockout_records, url):
    response = admin_client.get(url)
    assert response.status_code == 200
    words = english_words(response.content.decode())
    assert not words, " ".join(sorted(words))


def test_lockout_record_pages_have_no_english_interface_words(admin_client, lockout_records):
    attempt, log = lockout_records
    for url in (f"/admin/axes/accessattempt/{attempt.pk}/change/", f"/admin/axes/accesslog/{log.pk}/change/"):
        response = admin_client.get(url)
        assert response.status_code == 200
        words = english_words(response.content.decode())
        assert not words, f"{url}: {' '.join(sorted(words))}"


def test_admin_header_names_the_portal_not_django(admin_client):
    body = admin_client.get("/admin/").content.decode()
    assert "Django" not in body.split("<body", 1)[1].split("<script", 1)[0]
    assert "基层治理" in body
    assert "登录锁定" in body


def test_population_tags_are_edited_in_the_admin(admin_client, db):
    response = admin_client.post(
        "/admin/grids/populationtag/add/",
        {"name": "重点关注", "visit_interval_days": "14", "is_active": "on", "sort_order": "5"},
    )
    assert response.status_code == 302
    tag = PopulationTag.objects.get(name="重点关注")
    assert tag.visit_interval_days == 14
    body = admin_client.get("/admin/grids/populationtag/").content.decode()
    assert "人员标签" in body and "重点关注" in body


def test_each_app_keeps_its_own_config():
    from django.apps import apps

    assert type(apps.get_app_config("governance")).__name__ == "GovernanceConfig"
    assert type(apps.get_app_config("axes")).__name__ == "LockoutConfig"


def test_locked_out_attempt_says_so_in_chinese(admin_client, lockout_records):
    body = admin_client.get("/admin/axes/accessattempt/").content.decode()
    assert "已锁定" in body


def test_every_changelist_has_no_english_interface_words(admin_client, lockout_records):
    from django.contrib import admin

    for model in admin.site._registry:
        url = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
        response = admin_client.get(url)
        assert response.status_code == 200, url
        words = english_words(response.content.decode())
        assert not words, f"{url}: {' '.join(sorted(words))}"
