"""`make serve`'s server for real: gunicorn with governance/gunicorn.conf.py and DEBUG=0 settings
answers /healthz and serves a collected static file under its hashed name, cached for a year."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.production_server import ROOT, get, production_server


@pytest.mark.django_db(transaction=True)
def test_gunicorn_serves_health_and_hashed_static_files_in_production(tmp_path):
    with production_server(tmp_path) as server:
        port = server.port
        hashed = json.loads((server.static_root / "staticfiles.json").read_text())["paths"]["css/portal.css"]
        assert hashed != "css/portal.css"

        status, _, body = get(port, "/healthz")
        # The proxy's probe comes over plain HTTP: answered, not redirected to HTTPS.
        assert status == 200, body
        health = json.loads(body)
        assert health["status"] == "ok" and health["database"] == "ok"

        # Pages over plain HTTP are sent to HTTPS; what the proxy forwards as HTTPS is served.
        status, headers, _ = get(port, "/static/" + hashed)
        assert status == 301 and headers["Location"].startswith("https://")
        status, headers, css = get(port, "/static/" + hashed, **{"X-Forwarded-Proto": "https"})
        assert status == 200 and css == (ROOT / "static" / "css" / "portal.css").read_bytes()
        assert "immutable" in headers["Cache-Control"] and "max-age=315360000" in headers["Cache-Control"]
        assert headers["Server"] == "gunicorn"

        status, headers, _ = get(port, "/static/" + hashed, **{"X-Forwarded-Proto": "https", "Accept-Encoding": "gzip"})
        assert status == 200 and headers.get("Content-Encoding") == "gzip"

        # Django's own pages are off: an unknown URL gets the portal's 404.
        status, _, page = get(port, "/no/such/page/", **{"X-Forwarded-Proto": "https"})
        assert status == 404 and "Using the URLconf" not in page.decode()


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
