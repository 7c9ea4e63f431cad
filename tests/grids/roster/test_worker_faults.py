"""Large roster jobs with a real Celery worker when Redis or the worker fails: each ends
with the whole file imported once, without the user uploading again.

Each test runs its own redis-server on a free port (the shared one is never stopped) and
points both the worker and this process's Celery app at it.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import redis
from django.db import connection

from governance.celery import app
from grids.models import Resident, RosterImport
from grids.roster import actions
from tests.conftest import need_service
from tests.grids.roster.test_import import HEADER, job_of, person, upload, xlsx
from tests.grids.roster.test_worker import _database_url

ROOT = Path(__file__).resolve().parents[3]
STALLED = "排队中，后台服务恢复后自动继续"
HEARTBEAT = 2  # seconds, here and in the workers: a stopped job is noticed quickly


def _roster(n: int) -> bytes:
    return xlsx([HEADER, *[person("人" + chr(0x4E00 + i), f"{i:03d}", building=str(i % 7)) for i in range(n)]])


class OwnRedis:
    """A throw-away redis-server: started, stopped, frozen (SIGSTOP) at will."""

    def __init__(self, workdir: Path) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.workdir = workdir
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            cwd=self.workdir,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while True:
            try:
                if redis.Redis.from_url(self.url, socket_timeout=1).ping():
                    return
            except redis.RedisError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGCONT)
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    def freeze(self) -> None:
        self.process.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        self.process.send_signal(signal.SIGCONT)


@pytest.fixture
def own_redis(tmp_path, monkeypatch, settings) -> Iterator[OwnRedis]:
    need_service("PostgreSQL", connection.vendor == "postgresql")
    need_service("Redis", bool(os.environ.get("REDIS_URL")))  # this process's Celery settings for Redis
    need_service("redis-server", shutil.which("redis-server") is not None)
    server = OwnRedis(tmp_path)
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.JOB_HEARTBEAT_TIMEOUT = HEARTBEAT
    monkeypatch.setattr(actions, "INLINE_ROWS", 10)
    # This process sends to the test's server, on Celery's default queue (nobody else uses it).
    monkeypatch.setitem(app.conf, "broker_url", server.url)
    monkeypatch.setattr(app, "_pool", None)
    monkeypatch.setattr(app.amqp, "_producer_pool", None)
    try:
        yield server
    finally:
        if app._pool is not None:
            app._pool.force_close_all()
        server.stop()


def _worker_env(server: OwnRedis, tmp_path: Path) -> dict[str, str]:
    return dict(
        os.environ,
        REDIS_URL=server.url,
        DATABASE_URL=_database_url(),
        MEDIA_ROOT=str(tmp_path / "media"),
        VAR_DIR=str(tmp_path),
        JOB_HEARTBEAT_TIMEOUT=str(HEARTBEAT),
        JOB_SWEEP_INTERVAL="1",
    )


@contextmanager
def worker(
    env: dict[str, str], log_path: Path, *, slow: bool = False, pool: str = "solo", beat: bool = False
) -> Iterator[tuple[subprocess.Popen, Callable[[], str]]]:
    """A worker process (with its pool children) in a process group of its own."""
    command = [sys.executable, "-m", "tests.grids.roster.slow_worker"] if slow else [sys.executable, "-m", "celery"]
    command += ["-A", "governance"] if not slow else []
    command += ["worker", "--pool", pool, "--concurrency", "1", "--without-mingle", "--without-gossip", "-l", "INFO"]
    if beat:
        command += ["--beat", "--schedule", str(log_path.with_suffix(".schedule"))]
    log = open(log_path, "w+")  # noqa: SIM115 - closed below
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

    def read_log() -> str:
        log.flush()
        log.seek(0)
        return log.read()[-4000:]

    try:
        yield process, read_log
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                pass
        with _ignoring_gone():
            os.killpg(process.pid, signal.SIGKILL)  # pool children and embedded beat too
        process.wait()
        log.close()


@contextmanager
def _ignoring_gone() -> Iterator[None]:
    try:
        yield
    except ProcessLookupError:
        pass


def wait_for(
    job: RosterImport, done: Callable[[RosterImport], bool], log: Callable[[], str], timeout: float = 60
) -> RosterImport:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        current = RosterImport.objects.get(pk=job.pk)
        if done(current):
            return current
        if current.status == RosterImport.Status.FAILED:
            break
        time.sleep(0.1)
    raise AssertionError(f"job is {current.status} ({current.progress} rows): {current.message}\n{log()}")


def status(value: str) -> Callable[[RosterImport], bool]:
    return lambda job: job.status == value


def importing_past(rows: int) -> Callable[[RosterImport], bool]:
    return lambda job: job.status == RosterImport.Status.IMPORTING and job.progress >= rows


def timed(call: Callable[[], object]) -> tuple[object, float]:
    started = time.monotonic()
    value = call()
    return value, time.monotonic() - started


def _assert_imported_once(job: RosterImport, rows: int) -> None:
    assert job.status == RosterImport.Status.DONE and job.result["new"] == rows and job.progress == rows
    assert Resident.objects.count() == rows
    assert Resident.objects.values("id_number").distinct().count() == rows


@pytest.mark.django_db(transaction=True)
def test_upload_and_confirm_while_redis_is_stopped_finish_once_it_is_back(client, personas, tree, own_redis, tmp_path):
    client.force_login(personas["street_admin"])
    response, elapsed = timed(lambda: upload(client, _roster(60)))  # Redis is not running
    job = job_of(response)
    assert elapsed < 3
    assert job.status == RosterImport.Status.CHECKING and job.queued_at is None
    assert STALLED in client.get(f"/residents/import/{job.pk}/").content.decode()

    with worker(_worker_env(own_redis, tmp_path), tmp_path / "worker.log", beat=True) as (_process, log):
        own_redis.start()
        wait_for(job, status(RosterImport.Status.CHECKED), log)

        own_redis.stop()
        response, elapsed = timed(lambda: client.post(f"/residents/import/{job.pk}/confirm/", {"mode": "all"}))
        assert response.status_code == 302 and elapsed < 3
        job.refresh_from_db()
        assert job.status == RosterImport.Status.IMPORTING and job.queued_at is None
        assert STALLED in client.get(f"/residents/import/{job.pk}/").content.decode()

        own_redis.start()
        done = wait_for(job, status(RosterImport.Status.DONE), log)
    _assert_imported_once(done, 60)


@pytest.mark.django_db(transaction=True)
def test_upload_while_redis_is_frozen_answers_at_once_and_is_checked_later(client, personas, tree, own_redis, tmp_path):
    own_redis.start()
    client.force_login(personas["street_admin"])
    own_redis.freeze()
    try:
        response, elapsed = timed(lambda: upload(client, _roster(60)))
    finally:
        own_redis.thaw()
    job = job_of(response)
    assert elapsed < 6  # one socket timeout (2 s), not as long as Redis stays frozen
    assert job.queued_at is None
    with worker(_worker_env(own_redis, tmp_path), tmp_path / "worker.log", beat=True) as (_process, log):
        checked = wait_for(job, status(RosterImport.Status.CHECKED), log)
    assert checked.preview["new"] == 60


def _pool_children(pid: int) -> list[int]:
    return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


@pytest.mark.django_db(transaction=True)
def test_killed_pool_process_mid_import_is_delivered_again_and_imports_once(
    client, personas, tree, own_redis, tmp_path
):
    own_redis.start()
    client.force_login(personas["street_admin"])
    env = _worker_env(own_redis, tmp_path)
    with worker(env, tmp_path / "worker.log", slow=True, pool="prefork") as (process, log):  # no sweep: no beat
        job = job_of(upload(client, _roster(120)))
        wait_for(job, status(RosterImport.Status.CHECKED), log)
        client.post(f"/residents/import/{job.pk}/confirm/", {"mode": "all"})
        wait_for(job, importing_past(40), log)
        (child,) = _pool_children(process.pid)
        os.kill(child, signal.SIGKILL)
        done = wait_for(job, status(RosterImport.Status.DONE), log)
        assert "WorkerLostError" in log()
    assert done.attempts == 2  # the killed run and the one its message went back to the queue for
    _assert_imported_once(done, 120)


@pytest.mark.django_db(transaction=True)
def test_killed_worker_mid_import_is_swept_to_another_and_imports_once(client, personas, tree, own_redis, tmp_path):
    own_redis.start()
    client.force_login(personas["street_admin"])
    env = _worker_env(own_redis, tmp_path)
    with worker(env, tmp_path / "first.log", slow=True) as (process, log):
        job = job_of(upload(client, _roster(120)))
        wait_for(job, status(RosterImport.Status.CHECKED), log)
        client.post(f"/residents/import/{job.pk}/confirm/", {"mode": "all"})
        wait_for(job, importing_past(40), log)
        os.killpg(process.pid, signal.SIGKILL)  # its message stays unacknowledged in Redis
        process.wait()

    time.sleep(HEARTBEAT + 0.5)
    page = client.get(f"/residents/import/{job.pk}/").content.decode()
    assert STALLED in page and "progress-bar" not in page
    assert not Resident.objects.exists()  # the killed import's transaction left nothing

    with worker(env, tmp_path / "second.log", beat=True) as (_process, log):
        done = wait_for(job, status(RosterImport.Status.DONE), log)
        time.sleep(2.5)  # more sweeps run: nothing is queued or done again
    again = RosterImport.objects.get(pk=job.pk)
    assert (again.status, again.finished_at, again.attempts, again.result) == (
        done.status,
        done.finished_at,
        2,
        done.result,
    )
    _assert_imported_once(again, 120)
