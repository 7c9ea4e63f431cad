"""Settings come from the environment and fail loudly on malformed values."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from governance.env import env_bool, env_int, env_list, env_url

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("value,expected", [("1", True), ("yes", True), ("OFF", False), ("0", False)])
def test_env_bool_reads_common_spellings(monkeypatch, value, expected):
    monkeypatch.setenv("X_FLAG", value)
    assert env_bool("X_FLAG", not expected) is expected


@pytest.mark.parametrize(
    "reader,value",
    [
        (lambda: env_bool("X", True), "maybe"),
        (lambda: env_int("X", 1), "12a"),
        (lambda: env_int("X", 1, minimum=1), "0"),
        (lambda: env_list("X", []), "a,,b"),
        (lambda: env_url("X", ("redis",)), "localhost:6379"),
        (lambda: env_url("X", ("postgres",)), "mysql://db/x"),
    ],
)
def test_malformed_values_raise(monkeypatch, reader, value):
    monkeypatch.setenv("X", value)
    with pytest.raises(ImproperlyConfigured):
        reader()


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "DEBUG_PAGES", "SECRET_KEY", "ALLOWED_HOSTS"}}
    clean.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=120
    )


def test_deploy_check_is_clean_with_production_settings():
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="0",
        SECRET_KEY="x" * 20 + "Q7pL2vN9sK4mB8cR1tY6wZ3hJ5fD0gA",
        ALLOWED_HOSTS="portal.example.gov.cn",
    )
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout


def test_production_without_secret_key_refuses_to_start():
    result = _manage("check", DEBUG="0", ALLOWED_HOSTS="portal.example.gov.cn")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_malformed_debug_refuses_to_start():
    result = _manage("check", DEBUG="sometimes")
    assert result.returncode != 0
    assert "DEBUG must be one of" in result.stderr


# What a browser gets from `make run`: no test runner in between, which would switch DEBUG off.
_FETCH = """
from django.conf import settings
from django.test import Client
client = Client(HTTP_HOST="127.0.0.1")
page = client.get("/no/such/page/")
css = client.get("/static/css/portal.css")
print("debug", settings.DEBUG)
print("status", page.status_code)
print("portal-404", "页面不存在" in page.content.decode())
print("technical-404", "Using the URLconf" in page.content.decode())
print("css", css.status_code)
"""


def test_development_shows_the_portals_chinese_404_and_still_serves_css(tmp_path):
    result = _manage("shell", "-c", _FETCH, VAR_DIR=str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[-6:-1] == [
        "debug False",
        "status 404",
        "portal-404 True",
        "technical-404 False",
        "css 200",
    ], result.stdout


def test_debug_pages_show_djangos_technical_pages_to_a_developer(tmp_path):
    result = _manage("shell", "-c", _FETCH, VAR_DIR=str(tmp_path), DEBUG_PAGES="1")
    assert result.returncode == 0, result.stderr
    assert "debug True" in result.stdout and "technical-404 True" in result.stdout, result.stdout
    assert "css 200" in result.stdout


def test_debug_pages_are_refused_in_production():
    result = _manage(
        "check",
        DEBUG="0",
        DEBUG_PAGES="1",
        SECRET_KEY="x" * 20 + "Q7pL2vN9sK4mB8cR1tY6wZ3hJ5fD0gA",
        ALLOWED_HOSTS="portal.example.gov.cn",
    )
    assert result.returncode != 0
    assert "DEBUG_PAGES" in result.stderr


_DATABASE = """
from django.conf import settings
db = settings.DATABASES["default"]
print("conn", db["CONN_MAX_AGE"], db["CONN_HEALTH_CHECKS"])
"""


def test_database_connections_persist_with_health_checks_by_default(tmp_path):
    clean = {k: v for k, v in os.environ.items() if k != "CONN_MAX_AGE"}
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", _DATABASE],
        cwd=ROOT,
        env={**clean, "VAR_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "conn 60 True" in result.stdout, result.stdout


@pytest.mark.parametrize("value", ["0", "600"])
def test_conn_max_age_is_read_from_the_environment(tmp_path, value):
    result = _manage("shell", "-c", _DATABASE, VAR_DIR=str(tmp_path), CONN_MAX_AGE=value)
    assert result.returncode == 0, result.stderr
    assert f"conn {value} True" in result.stdout, result.stdout


def test_malformed_conn_max_age_refuses_to_start():
    result = _manage("check", CONN_MAX_AGE="forever")
    assert result.returncode != 0
    assert "CONN_MAX_AGE must be an integer" in result.stderr
