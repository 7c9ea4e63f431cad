"""A roster job outlives the broker and its worker: queueing never fails a request, the
page tells whether a worker is on the job, a sweep queues again what stopped, and a
step run twice does its work once. (With a real worker and Redis: test_worker_faults.py.)"""

from __future__ import annotations

import datetime

import pytest
from django.conf import settings as django_settings
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.models import F
from django.utils import timezone
from kombu.exceptions import OperationalError

from grids.models import Resident, RosterImport
from grids.roster import actions, importer, jobs, tasks
from grids.shared import background
from tests.conftest import need_service
from tests.grids.roster.test_import import HEADER, job_of, person, upload, xlsx

STALLED = "排队中，后台服务恢复后自动继续"
WAITING = "排队中，后台服务即将开始处理"


def _roster(n: int) -> bytes:
    return xlsx([HEADER, *[person("人" + chr(0x4E00 + i), f"{i:03d}", building=str(i % 7)) for i in range(n)]])


@pytest.fixture
def sent(monkeypatch):
    """Messages the roster tasks would have sent to the broker, as (task name, job id)."""
    messages: list[tuple[str, int]] = []
    for task in (tasks.check_roster, tasks.import_roster):
        monkeypatch.setattr(task, "apply_async", lambda args, _n=task.name, **kw: messages.append((_n, args[0])))
    return messages


@pytest.fixture
def broker_down(monkeypatch):
    def refuse(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    for task in (tasks.check_roster, tasks.import_roster):
        monkeypatch.setattr(task, "apply_async", refuse)


@pytest.fixture
def large(monkeypatch):
    """Files over 10 rows go to the worker."""
    monkeypatch.setattr(actions, "INLINE_ROWS", 10)


def _ago(seconds: float) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(seconds=seconds)


def test_upload_when_the_broker_is_down_is_queued_for_later_not_an_error(
    client, personas, tree, large, broker_down, django_capture_on_commit_callbacks
):
    client.force_login(personas["street_admin"])
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(client, _roster(30))
    job = job_of(response)
    assert job.status == RosterImport.Status.CHECKING and job.queued_at is None
    page = client.get(f"/residents/import/{job.pk}/").content.decode()
    assert STALLED in page and "progress-bar" not in page
    assert "排队中" in client.get("/residents/import/").content.decode()  # the list of recent imports too


def test_confirm_when_the_broker_is_down_stays_importing_for_the_sweep(
    client, personas, tree, large, sent, monkeypatch, django_capture_on_commit_callbacks
):
    client.force_login(personas["street_admin"])
    job = job_of(upload(client, _roster(30)))
    jobs.run_step(job_id=job.pk, step="check")  # what the worker does

    def refuse(*args, **kwargs):
        raise OperationalError("Timeout reading from socket")

    monkeypatch.setattr(tasks.import_roster, "apply_async", refuse)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/residents/import/{job.pk}/confirm/", {"mode": "all"})
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == RosterImport.Status.IMPORTING and job.queued_at is None
    page = client.get(f"/residents/import/{job.pk}/").content.decode()
    assert STALLED in page and "尚未保存" in page
    # Confirming again is refused: the job is not lost, it waits for the sweep.
    client.post(f"/residents/import/{job.pk}/confirm/", {"mode": "all"})
    assert RosterImport.objects.get(pk=job.pk).status == RosterImport.Status.IMPORTING


def test_page_shows_a_bar_only_while_a_worker_is_on_the_job(client, personas, tree, large, sent):
    client.force_login(personas["street_admin"])
    job = job_of(upload(client, _roster(30)))
    url = f"/residents/import/{job.pk}/"

    page = client.get(url).content.decode()  # just queued
    assert WAITING in page and "progress-bar-animated" not in page and 'hx-trigger="every 1s"' in page

    RosterImport.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now(), progress=12)
    page = client.get(url).content.decode()
    assert "progress-bar-animated" in page and STALLED not in page and WAITING not in page

    stale = _ago(django_settings.JOB_HEARTBEAT_TIMEOUT + 1)
    RosterImport.objects.filter(pk=job.pk).update(heartbeat_at=stale, queued_at=stale)
    page = client.get(url).content.decode()
    assert STALLED in page and "progress-bar" not in page and 'hx-trigger="every 5s"' in page


def test_sweep_run_twice_queues_each_stopped_job_once(personas, tree, sent, settings):
    user = personas["street_admin"]
    stale = _ago(settings.JOB_HEARTBEAT_TIMEOUT + 1)

    def job(status: str, **fields) -> RosterImport:
        return RosterImport.objects.create(user=user, original_name=status, status=status, **fields)

    never_sent = job(RosterImport.Status.CHECKING)
    worker_died = job(RosterImport.Status.IMPORTING, queued_at=stale, heartbeat_at=stale, attempts=1)
    job(RosterImport.Status.IMPORTING, queued_at=stale, heartbeat_at=timezone.now(), attempts=1)  # running
    job(RosterImport.Status.CHECKING, queued_at=timezone.now())  # waiting for a worker
    job(RosterImport.Status.DONE, queued_at=stale, heartbeat_at=stale)
    job(RosterImport.Status.CHECKED, queued_at=stale, heartbeat_at=stale)

    assert tasks.sweep_roster_imports.run() == 2
    assert tasks.sweep_roster_imports.run() == 0
    assert sorted(sent) == sorted(
        [("grids.tasks.check_roster", never_sent.pk), ("grids.tasks.import_roster", worker_died.pk)]
    )
    assert RosterImport.objects.get(pk=worker_died.pk).queued_at > stale


def test_sweep_leaves_a_job_stalled_when_the_broker_is_still_down(personas, tree, broker_down, settings):
    stale = _ago(settings.JOB_HEARTBEAT_TIMEOUT + 1)
    job = RosterImport.objects.create(
        user=personas["street_admin"], status=RosterImport.Status.CHECKING, queued_at=stale, heartbeat_at=stale
    )
    assert tasks.sweep_roster_imports.run() == 0
    job.refresh_from_db()
    assert job.queued_at is None and job.stalled  # the next sweep tries again


def test_sweep_is_a_periodic_task():
    entry = next(
        e for e in django_settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == tasks.sweep_roster_imports.name
    )
    assert entry["schedule"] == django_settings.JOB_SWEEP_INTERVAL
    for task in (tasks.check_roster, tasks.import_roster):
        assert task.acks_late and task.reject_on_worker_lost and task.ignore_result


def test_a_step_delivered_twice_imports_once(client, personas, tree, large, sent):
    client.force_login(personas["street_admin"])
    job = job_of(upload(client, _roster(30)))
    jobs.run_step(job_id=job.pk, step="check")
    jobs.run_step(job_id=job.pk, step="check")
    client.post(f"/residents/import/{job.pk}/confirm/", {"mode": "all"})
    jobs.run_step(job_id=job.pk, step="import")
    first = RosterImport.objects.get(pk=job.pk)
    jobs.run_step(job_id=job.pk, step="import")
    job.refresh_from_db()
    assert job.status == RosterImport.Status.DONE and job.result == first.result and job.result["new"] == 30
    assert job.attempts == 1 and job.finished_at == first.finished_at
    assert Resident.objects.count() == 30


def test_a_run_overtaken_by_another_writes_nothing(client, personas, tree, large, sent, monkeypatch):
    """The sweep queued the job again while this run was (seemingly) gone, and another run
    claimed it: this one's rows and outcome must not be kept."""
    client.force_login(personas["street_admin"])
    job = job_of(upload(client, _roster(30)))
    jobs.run_step(job_id=job.pk, step="check")
    client.post(f"/residents/import/{job.pk}/confirm/", {"mode": "all"})
    process_batch = importer._process_batch

    def overtaken(rows, ctx, report, *, write):
        process_batch(rows, ctx, report, write=write)
        RosterImport.objects.filter(pk=job.pk).update(attempts=F("attempts") + 1)

    monkeypatch.setattr(importer, "_process_batch", overtaken)
    jobs.run_step(job_id=job.pk, step="import")
    job.refresh_from_db()
    assert job.status == RosterImport.Status.IMPORTING and not job.result
    assert not Resident.objects.exists()


def test_a_file_that_keeps_killing_its_worker_is_given_up(client, personas, tree, large, sent):
    client.force_login(personas["street_admin"])
    job = job_of(upload(client, _roster(30)))
    RosterImport.objects.filter(pk=job.pk).update(attempts=jobs.MAX_ATTEMPTS)
    jobs.run_step(job_id=job.pk, step="check")
    job.refresh_from_db()
    assert job.status == RosterImport.Status.FAILED and "拆分" in job.message and not job.preview


@pytest.mark.django_db(transaction=True)
def test_a_step_another_process_runs_is_left_to_it(
    client, personas, tree, large, sent, monkeypatch, settings, tmp_path
):
    need_service("PostgreSQL", connection.vendor == "postgresql")
    settings.MEDIA_ROOT = tmp_path
    client.force_login(personas["street_admin"])
    job = job_of(upload(client, _roster(30)))
    other = connections.create_connection(DEFAULT_DB_ALIAS)
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(hashtext(%s), %s)", ["grids_rosterimport", job.pk])
        monkeypatch.setattr(background, "LOCK_WAIT", 0.5)
        jobs.run_step(job_id=job.pk, step="check")
        job.refresh_from_db()
        assert job.status == RosterImport.Status.CHECKING and job.attempts == 0
    finally:
        other.close()  # as a killed worker's connection: the lock goes with it
    jobs.run_step(job_id=job.pk, step="check")
    job.refresh_from_db()
    assert job.status == RosterImport.Status.CHECKED and job.attempts == 1
