"""Login, lockout, logout, password change, language switch and friendly error pages."""

from __future__ import annotations

import pytest
from django.test import Client, override_settings

from tests.conftest import make_user

LOGIN = "/accounts/login/"


def _login(client: Client, username: str, password: str):
    return client.post(LOGIN, {"username": username, "password": password})


def test_login_page_is_chinese_by_default(client, db):
    body = client.get(LOGIN).content.decode()
    assert '<html lang="zh-hans">' in body
    assert "登录" in body


def test_login_with_right_password_reaches_home(client, db):
    make_user("zhang")
    response = _login(client, "zhang", "test-pass-2026")
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.get("/").status_code == 200


def test_wrong_password_gets_a_clear_message(client, db):
    make_user("zhang")
    response = _login(client, "zhang", "wrong")
    assert response.status_code == 200
    assert "用户名或密码错误" in response.content.decode()
    assert "_auth_user_id" not in client.session


@override_settings(AXES_FAILURE_LIMIT=3)
def test_repeated_failures_lock_the_account_from_that_client(client, db):
    make_user("zhang")
    for _ in range(2):
        assert _login(client, "zhang", "wrong").status_code == 200
    locked = _login(client, "zhang", "wrong")
    assert locked.status_code == 429
    assert "登录失败次数过多" in locked.content.decode()
    # Even the right password is refused while locked.
    again = _login(client, "zhang", "test-pass-2026")
    assert again.status_code == 429
    assert "_auth_user_id" not in client.session
    # Another account from the same client is not locked out.
    make_user("li")
    assert _login(client, "li", "test-pass-2026").status_code == 302


def test_logout_is_post_only(client, db):
    user = make_user("zhang")
    client.force_login(user)
    assert client.get("/accounts/logout/").status_code == 405
    assert client.post("/accounts/logout/").status_code == 302
    assert client.get("/").status_code == 302


def test_password_change(client, db):
    user = make_user("zhang")
    client.force_login(user)
    bad = client.post(
        "/accounts/password/",
        {"old_password": "nope", "new_password1": "Another-pass-2027", "new_password2": "Another-pass-2027"},
    )
    assert bad.status_code == 200
    ok = client.post(
        "/accounts/password/",
        {"old_password": "test-pass-2026", "new_password1": "Another-pass-2027", "new_password2": "Another-pass-2027"},
    )
    assert ok.status_code == 302
    user.refresh_from_db()
    assert user.check_password("Another-pass-2027")


def test_english_is_available(client, db):
    response = client.post("/i18n/setlang/", {"language": "en", "next": LOGIN})
    assert response.status_code == 302
    body = client.get(LOGIN).content.decode()
    assert '<html lang="en">' in body
    assert "Log in" in body


@pytest.mark.parametrize("url", ["/no/such/page/", "/grids/999999/", "/streets/0/", "/communities/abc/", "/grids/1.5/"])
def test_unknown_urls_and_tampered_ids_give_the_chinese_404(client, db, url):
    client.force_login(make_user("zhang"))
    with override_settings(DEBUG=False):
        response = client.get(url)
    assert response.status_code == 404
    assert "页面不存在" in response.content.decode()


def test_bad_query_strings_do_not_break_lists(client, tree, personas):
    client.force_login(personas["street_official"])
    for query in ("?page=-1", "?page=abc", "?page=99999", "?community=abc", "?community=-1", "?q=" + "字" * 500):
        assert client.get("/grids/" + query).status_code == 200


def test_server_error_page_is_friendly(rf, db):
    from governance.views import server_error

    response = server_error(rf.get("/"))
    assert response.status_code == 500
    assert "系统出现错误" in response.content.decode()


def test_server_error_page_does_not_say_nothing_was_saved(rf, db):
    """An error after a commit (a job row saved, then a failure) must not be reported as nothing saved."""
    from governance.views import server_error

    page = server_error(rf.get("/")).content.decode()
    assert "不会被部分保存" not in page and "可能已经保存" in page


def test_health_endpoint(client, db):
    body = client.get("/healthz").json()
    assert body["status"] == "ok" and body["database"] == "ok"


def test_browser_language_does_not_override_the_chinese_default(client, db):
    body = client.get(LOGIN, HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert '<html lang="zh-hans">' in body
    client.cookies["django_language"] = "fr"
    assert '<html lang="zh-hans">' in client.get(LOGIN).content.decode()
