"""Real services: PostgreSQL in CI, and a real Celery worker process taking the
health task from the broker (the filesystem broker `make run` uses, and Redis)."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

from celery import Celery
from django.db import connection

from tests.conftest import celery_worker, need_service

ROOT = Path(__file__).resolve().parents[2]


def test_database_is_postgresql_when_services_are_required(db):
    need_service("PostgreSQL", connection.vendor == "postgresql")
    with connection.cursor() as cursor:
        cursor.execute("SHOW TIMEZONE")
        assert cursor.fetchone() is not None


def _redis_available(url: str | None) -> bool:
    if not url:
        return False
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=2).ping())
    except redis.RedisError:
        return False


def _run_health_through_worker(env: dict[str, str], client: Celery) -> dict:
    with celery_worker(env, Path(env["VAR_DIR"]) / "worker.log") as (queue, worker_log):
        token = uuid.uuid4().hex
        result = client.send_task("governance.tasks.health", args=[token], queue=queue)
        try:
            value = result.get(timeout=60)
        except Exception:
            raise AssertionError("worker did not answer:\n" + worker_log()) from None
        assert value["token"] == token
        assert value["worker"].startswith("celery@")
        return value


def test_worker_runs_health_task_over_the_filesystem_broker(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL"}}
    env["VAR_DIR"] = str(tmp_path)
    celery_dir = tmp_path / "celery"
    for sub in ("queue", "processed", "results", "control"):
        (celery_dir / sub).mkdir(parents=True)
    client = Celery(
        "client",
        set_as_current=False,
        broker="filesystem://",
        backend=f"file://{celery_dir / 'results'}",
        broker_transport_options={
            "data_folder_in": str(celery_dir / "queue"),
            "data_folder_out": str(celery_dir / "queue"),
            "processed_folder": str(celery_dir / "processed"),
            "control_folder": str(celery_dir / "control"),
        },
    )
    _run_health_through_worker(env, client)


def test_worker_runs_health_task_over_redis(tmp_path):
    url = os.environ.get("REDIS_URL")
    need_service("Redis", _redis_available(url))
    env = dict(os.environ, VAR_DIR=str(tmp_path))
    client = Celery("client", broker=url, backend=url, set_as_current=False)
    _run_health_through_worker(env, client)
