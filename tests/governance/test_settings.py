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
    clean = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS"}}
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
