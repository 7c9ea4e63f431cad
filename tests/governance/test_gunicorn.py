"""`make serve`'s server for real: gunicorn with governance/gunicorn.conf.py and DEBUG=0 settings
answers /healthz and serves a collected static file under its hashed name, cached for a year."""

from __future__ import annotations

import http.client
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from tests.conftest import need_service

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).with_name("gunicorn")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _get(port: int, path: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
    """One request, redirects not followed."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def _test_database_url() -> str:
    db = connection.settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{db['NAME']}"
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.mark.django_db(transaction=True)
def test_gunicorn_serves_health_and_hashed_static_files_in_production(tmp_path):
    need_service("gunicorn", GUNICORN.exists())
    if connection.vendor == "sqlite" and connection.settings_dict["NAME"].startswith("file:memorydb"):
        pytest.skip("an in-memory SQLite test database cannot be shared with another process")
    port = _free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "PYTEST_", "DEBUG", "WEB_")) and k not in {"SECRET_KEY", "ALLOWED_HOSTS"}
    }
    env.update(
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1",
        DATABASE_URL=_test_database_url(),
        STATIC_ROOT=str(tmp_path / "static"),
        VAR_DIR=str(tmp_path / "var"),
        SECURE_PROXY_SSL_HEADER="1",
        WEB_ADDR=f"127.0.0.1:{port}",
        WEB_CONCURRENCY="1",
    )
    collected = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert collected.returncode == 0, collected.stderr
    hashed = json.loads((tmp_path / "static" / "staticfiles.json").read_text())["paths"]["css/portal.css"]
    assert hashed != "css/portal.css"

    log = (tmp_path / "gunicorn.log").open("w")
    server = subprocess.Popen(
        [str(GUNICORN), "--config", "governance/gunicorn.conf.py"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                status, _, body = _get(port, "/healthz")
                break
            except ConnectionError:
                assert server.poll() is None, (tmp_path / "gunicorn.log").read_text()
                assert time.monotonic() < deadline, "gunicorn did not start within a minute"
                time.sleep(0.2)
        # The proxy's probe comes over plain HTTP: answered, not redirected to HTTPS.
        assert status == 200, body
        health = json.loads(body)
        assert health["status"] == "ok" and health["database"] == "ok"

        # Pages over plain HTTP are sent to HTTPS; what the proxy forwards as HTTPS is served.
        status, headers, _ = _get(port, "/static/" + hashed)
        assert status == 301 and headers["Location"].startswith("https://")
        status, headers, css = _get(port, "/static/" + hashed, **{"X-Forwarded-Proto": "https"})
        assert status == 200 and css == (ROOT / "static" / "css" / "portal.css").read_bytes()
        assert "immutable" in headers["Cache-Control"] and "max-age=315360000" in headers["Cache-Control"]
        assert headers["Server"] == "gunicorn"

        status, headers, _ = _get(
            port, "/static/" + hashed, **{"X-Forwarded-Proto": "https", "Accept-Encoding": "gzip"}
        )
        assert status == 200 and headers.get("Content-Encoding") == "gzip"

        # Django's own pages are off: an unknown URL gets the portal's 404.
        status, _, page = _get(port, "/no/such/page/", **{"X-Forwarded-Proto": "https"})
        assert status == 404 and "Using the URLconf" not in page.decode()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        log.close()
    assert server.returncode == 0, (tmp_path / "gunicorn.log").read_text()


def _gunicorn_config(**env: str) -> dict:
    script = (
        "import json, runpy; c = runpy.run_path('governance/gunicorn.conf.py'); "
        "print(json.dumps({k: c[k] for k in ('bind', 'workers', 'timeout', 'forwarded_allow_ips')}))"
    )
    clean = {k: v for k, v in os.environ.items() if not k.startswith("WEB_") and k != "FORWARDED_ALLOW_IPS"}
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env={**clean, **env}, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_gunicorn_binds_loopback_with_two_workers_per_core_by_default():
    assert _gunicorn_config() == {
        "bind": ["127.0.0.1:8000"],
        "workers": 2 * (os.cpu_count() or 1),
        "timeout": 120,
        "forwarded_allow_ips": "127.0.0.1",
    }


def test_gunicorn_reads_address_and_workers_from_the_environment():
    config = _gunicorn_config(WEB_ADDR="127.0.0.1:9001", WEB_CONCURRENCY="3")
    assert config["bind"] == ["127.0.0.1:9001"] and config["workers"] == 3


def test_make_serve_runs_production_settings_and_collects_static_files_first():
    result = subprocess.run(["make", "-n", "serve"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    commands = [line for line in result.stdout.splitlines() if "manage.py collectstatic" in line or "gunicorn" in line]
    assert len(commands) == 2 and "collectstatic" in commands[0], result.stdout
    assert all(line.startswith("DEBUG=0 ") for line in commands)
    assert "gunicorn --config governance/gunicorn.conf.py" in commands[1]
