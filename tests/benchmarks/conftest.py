"""Running the scripts under benchmarks/ in their small mode, each in a subprocess.

The scripts take their database from DATABASE_URL and write to it (COPY, demo data,
VACUUM), so they get a database of their own, never the test database: on PostgreSQL
`<test database>_bench` (the test database's name differs per xdist worker, so workers
do not meet), otherwise an SQLite file. It is migrated and given the small demo street
once per worker and dropped at the end.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class BenchDatabase:
    url: str
    postgresql: bool


def _admin_cursor(settings: dict):
    import psycopg2

    admin = psycopg2.connect(
        dbname="postgres",
        user=settings["USER"],
        password=settings["PASSWORD"] or None,
        host=settings["HOST"] or "127.0.0.1",
        port=settings["PORT"] or 5432,
    )
    admin.autocommit = True
    return admin


def _env(url: str, tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTEST_XDIST_WORKER"}
    return env | {"DATABASE_URL": url, "VAR_DIR": str(tmp), "MEDIA_ROOT": str(tmp / "media")}


@pytest.fixture(scope="session")
def bench_database(django_db_setup, tmp_path_factory) -> Iterator[BenchDatabase]:
    tmp = tmp_path_factory.mktemp("bench")
    settings = connection.settings_dict
    postgresql = connection.vendor == "postgresql"
    if postgresql:
        name = f"{settings['NAME']}_bench"
        auth = settings["USER"] + (f":{settings['PASSWORD']}" if settings["PASSWORD"] else "")
        url = f"postgres://{auth}@{settings['HOST'] or '127.0.0.1'}:{settings['PORT'] or 5432}/{name}"
        admin = _admin_cursor(settings)
        with admin.cursor() as cursor:
            # One left by an interrupted run goes first; FORCE ends a killed script's connections.
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            cursor.execute(f'CREATE DATABASE "{name}"')
    else:
        url = f"sqlite:///{tmp / 'bench.sqlite3'}"
    try:
        for command in (["migrate"], ["seed_demo", "--scale", "small"]):
            subprocess.run(
                [sys.executable, "manage.py", *command, "--verbosity", "0"],
                cwd=ROOT,
                env=_env(url, tmp),
                check=True,
                capture_output=True,
                timeout=300,
            )
        yield BenchDatabase(url, postgresql)
    finally:
        if postgresql:
            with admin.cursor() as cursor:
                cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.close()


def run_small(script: str, tmp_path: Path, database: BenchDatabase | None = None) -> list[str]:
    """Run benchmarks/<script> --small (on the benchmarks' database if given); return its output lines."""
    env = _env(database.url, tmp_path) if database else dict(os.environ, VAR_DIR=str(tmp_path))
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / script), "--small"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result.stdout.splitlines()
