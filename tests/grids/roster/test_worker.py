"""Large rosters are checked and imported in a Celery worker, with progress kept on the job."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from django.db import DEFAULT_DB_ALIAS, connection, connections

from governance.celery import app
from grids.models import Resident, RosterImport
from grids.roster import actions, importer
from tests.conftest import celery_worker, need_service
from tests.grids.roster.test_import import HEADER, job_of, person, upload, xlsx

ROOT = Path(__file__).resolve().parents[2]


def _roster(n: int) -> bytes:
    return xlsx([HEADER, *[person("人" + chr(0x4E00 + i), f"{i:03d}", building=str(i % 7)) for i in range(n)]])


def test_large_file_goes_to_the_worker_and_the_page_polls(
    client, personas, tree, monkeypatch, settings, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(actions, "INLINE_ROWS", 10)
    monkeypatch.setitem(app.conf, "task_always_eager", True)
    client.force_login(personas["street_admin"])
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        job = job_of(upload(client, _roster(30)))
    assert job.status == RosterImport.Status.CHECKING
    assert job.estimated_rows == 31
    page = client.get(f"/residents/import/{job.pk}/").content.decode()
    assert 'hx-trigger="every 1s"' in page and "progress-bar" in page
    for callback in callbacks:
        callback()  # the worker runs the check
    job.refresh_from_db()
    assert job.status == RosterImport.Status.CHECKED and job.preview["new"] == 30
    assert job.progress == 30
    partial = client.get(f"/residents/import/{job.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in partial and 'hx-trigger="every 1s"' not in partial

    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/residents/import/{job.pk}/confirm/", {"mode": "all"})
    job.refresh_from_db()
    assert job.status == RosterImport.Status.DONE
    assert Resident.objects.count() == 30


def _database_url() -> str:
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


@pytest.mark.django_db(transaction=True)
def test_real_worker_checks_and_imports_a_large_roster(client, personas, tree, monkeypatch, settings, tmp_path):
    need_service("PostgreSQL", connection.vendor == "postgresql")
    redis_url = os.environ.get("REDIS_URL")
    need_service("Redis", bool(redis_url))
    settings.MEDIA_ROOT = tmp_path / "media"
    monkeypatch.setattr(actions, "INLINE_ROWS", 10)
    env = dict(os.environ, DATABASE_URL=_database_url(), MEDIA_ROOT=str(settings.MEDIA_ROOT), VAR_DIR=str(tmp_path))
    with celery_worker(env, tmp_path / "worker.log") as (queue, worker_log):
        monkeypatch.setitem(app.conf, "task_default_queue", queue)
        client.force_login(personas["street_admin"])
        job = job_of(upload(client, _roster(60)))

        def wait_for(status: str) -> RosterImport:
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline:
                current = RosterImport.objects.get(pk=job.pk)
                if current.status == status:
                    return current
                if current.status == RosterImport.Status.FAILED:
                    break
                time.sleep(0.3)
            raise AssertionError(f"job is {current.status}: {current.message}\n{worker_log()}")

        checked = wait_for(RosterImport.Status.CHECKED)
        assert checked.preview["new"] == 60 and checked.progress == 60
        client.post(f"/residents/import/{job.pk}/confirm/", {"mode": "all"})
        done = wait_for(RosterImport.Status.DONE)
        assert done.result["new"] == 60
        assert Resident.objects.count() == 60


@pytest.mark.django_db(transaction=True)
def test_progress_is_visible_while_the_import_transaction_is_open(
    client, personas, tree, monkeypatch, settings, tmp_path
):
    """The import holds one transaction open; the polling page must still see rows done."""
    need_service("PostgreSQL", connection.vendor == "postgresql")
    settings.MEDIA_ROOT = tmp_path / "media"
    monkeypatch.setattr(importer, "BATCH", 20)
    client.force_login(personas["street_admin"])
    job = job_of(upload(client, _roster(60)))
    assert job.status == RosterImport.Status.CHECKED

    seen = []
    process_batch = importer._process_batch

    def process_batch_watched(rows, ctx, report, *, write):
        # What another connection (the page's) reads before each batch.
        other = connections.create_connection(DEFAULT_DB_ALIAS)
        try:
            with other.cursor() as cursor:
                cursor.execute("SELECT progress FROM grids_rosterimport WHERE id = %s", [job.pk])
                seen.append(cursor.fetchone()[0])
        finally:
            other.close()
        process_batch(rows, ctx, report, write=write)

    monkeypatch.setattr(importer, "_process_batch", process_batch_watched)
    client.post(f"/residents/import/{job.pk}/confirm/", {"mode": "all"})
    job.refresh_from_db()
    assert job.status == RosterImport.Status.DONE and job.progress == 60
    assert seen == [0, 20, 40]
    assert Resident.objects.count() == 60


def test_a_stored_upload_is_counted_once(client, personas, tree, monkeypatch):
    from grids.roster import reader

    calls = []
    count_rows = reader.count_rows

    def counting(fileobj):
        calls.append(True)
        return count_rows(fileobj)

    monkeypatch.setattr(reader, "count_rows", counting)
    client.force_login(personas["street_admin"])
    job = job_of(upload(client, _roster(5)))
    assert job.status == RosterImport.Status.CHECKED and job.estimated_rows == 6
    client.post(f"/residents/import/{job.pk}/confirm/", {"mode": "all"})
    job.refresh_from_db()
    assert job.status == RosterImport.Status.DONE
    assert len(calls) == 1  # on upload; the check and the import reuse it
