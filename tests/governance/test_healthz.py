"""/healthz: 200 while the database answers, whatever the broker does; 503 without the database."""

from __future__ import annotations

import socket
import time
from unittest.mock import patch

from django.db import OperationalError, connection


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_health_reports_database_and_broker(client, db):
    # Redis when the run has REDIS_URL, otherwise the filesystem broker's folder: both there.
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "broker": "ok"}


def test_broker_down_still_answers_200_quickly(client, db, settings):
    settings.REDIS_URL = f"redis://127.0.0.1:{_closed_port()}/0"
    started = time.monotonic()
    response = client.get("/healthz")
    elapsed = time.monotonic() - started
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "broker": "unavailable"}
    assert elapsed < 1.5


def test_broker_that_accepts_and_never_answers_is_unavailable_within_a_second(client, db, settings):
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        settings.REDIS_URL = f"redis://127.0.0.1:{silent.getsockname()[1]}/0"
        started = time.monotonic()
        response = client.get("/healthz")
        elapsed = time.monotonic() - started
    assert response.json()["broker"] == "unavailable"
    assert elapsed < 1.5


def test_database_down_answers_503(client, db):
    with patch.object(connection, "cursor", side_effect=OperationalError("connection refused")):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == "unavailable"
