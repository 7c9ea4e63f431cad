"""Lockout after failed logins is keyed on the user name and the client's own address,
also behind the reverse proxy, and every attempt can be recorded."""

from __future__ import annotations

from axes.models import AccessAttempt
from django.test import Client, override_settings

from tests.conftest import make_user

LOGIN = "/accounts/login/"
PROXY = "10.0.0.2"
RIGHT = {"username": "zhang", "password": "test-pass-2026"}
WRONG = {"username": "zhang", "password": "wrong"}


def behind_proxy(forwarded_for: str) -> Client:
    """A browser whose requests reach the portal through the proxy, which appends the address
    that connected to it to X-Forwarded-For."""
    return Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded_for)


def fail_until_locked(client: Client) -> None:
    for _ in range(2):
        assert client.post(LOGIN, WRONG).status_code == 200
    assert client.post(LOGIN, WRONG).status_code == 429
    assert client.post(LOGIN, RIGHT).status_code == 429


@override_settings(AXES_FAILURE_LIMIT=3, TRUSTED_PROXY_COUNT=1)
def test_behind_the_proxy_one_client_cannot_lock_a_user_out_for_another(db):
    make_user("zhang")
    fail_until_locked(behind_proxy("198.51.100.7"))
    assert behind_proxy("203.0.113.9").post(LOGIN, RIGHT).status_code == 302
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"198.51.100.7"}


@override_settings(AXES_FAILURE_LIMIT=3, TRUSTED_PROXY_COUNT=1)
def test_a_forged_forwarded_entry_does_not_choose_the_address(db):
    make_user("zhang")
    # The attacker writes the victim's address into the header; the proxy appends the attacker's.
    fail_until_locked(behind_proxy("203.0.113.9, 198.51.100.7"))
    assert behind_proxy("203.0.113.9").post(LOGIN, RIGHT).status_code == 302
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"198.51.100.7"}


@override_settings(AXES_FAILURE_LIMIT=3, TRUSTED_PROXY_COUNT=2)
def test_with_two_proxies_the_client_is_the_second_entry_from_the_right(db):
    make_user("zhang")
    fail_until_locked(behind_proxy("203.0.113.9, 198.51.100.7, 10.0.0.1"))
    assert behind_proxy("203.0.113.9, 10.0.0.1").post(LOGIN, RIGHT).status_code == 302
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"198.51.100.7"}


@override_settings(AXES_FAILURE_LIMIT=3, TRUSTED_PROXY_COUNT=0)
def test_without_a_proxy_the_header_is_ignored(db):
    make_user("zhang")
    # Changing the header on every attempt does not dodge the lockout of the connecting address.
    for n in range(2):
        assert Client(REMOTE_ADDR="198.51.100.7", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}").post(LOGIN, WRONG)
    dodging = Client(REMOTE_ADDR="198.51.100.7", HTTP_X_FORWARDED_FOR="203.0.113.99")
    assert dodging.post(LOGIN, WRONG).status_code == 429
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"198.51.100.7"}


@override_settings(TRUSTED_PROXY_COUNT=1)
def test_a_request_that_did_not_pass_the_proxy_is_keyed_on_its_connecting_address(db):
    make_user("zhang")
    assert Client(REMOTE_ADDR="10.0.0.9").post(LOGIN, WRONG).status_code == 200
    assert Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="not-an-address").post(LOGIN, WRONG).status_code == 200
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"10.0.0.9", PROXY}


def test_a_user_name_longer_than_any_account_is_a_failed_login_not_a_server_error(client, db):
    response = client.post(LOGIN, {"username": "张" * 256, "password": "wrong"})
    assert response.status_code == 200
    assert "用户名或密码错误" in response.content.decode()
    assert AccessAttempt.objects.get().username == "张" * 255
