"""Roster import jobs: upload, check (preview), confirm, import. Each step is one action.

Small files are handled within the request; larger ones in a Celery worker, with
progress written to the job row so the page can poll it and survive a reload.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from grids.models import RosterImport
from grids.roster import importer, reader
from grids.roster.xlsx import DEFAULT_LIMITS, UploadRejected, inspect

logger = logging.getLogger(__name__)

# Up to this many rows a step runs inside the request (about a second of work).
INLINE_ROWS = 3000


class ImportStepError(Exception):
    """An import step the rules forbid; the message is shown to the user."""


def start_import(*, by: Any, upload: UploadedFile) -> RosterImport:
    """Store the upload and check it (in the request if small, else in a worker)."""
    # A .xls name is let through so that the content check below explains what to do with it.
    if not upload.name.lower().endswith((".xlsx", ".xls")):
        raise UploadRejected(_("Upload an Excel workbook (.xlsx). Download the template if you are not sure."))
    inspect(upload.file, DEFAULT_LIMITS)
    try:
        rows = reader.count_rows(upload.file)
    except Exception:  # noqa: BLE001 - any failure here is an unreadable file, explained by the checker
        rows = 0
    job = RosterImport.objects.create(
        user=by, file=upload, original_name=upload.name[:255], size=upload.size, estimated_rows=rows
    )
    _dispatch("check", job)
    return job


def _dispatch(step: str, job: RosterImport) -> None:
    from grids import tasks

    if job.estimated_rows <= INLINE_ROWS:
        run_step(job_id=job.pk, step=step)
    else:
        task = tasks.check_roster if step == "check" else tasks.import_roster
        transaction.on_commit(lambda: task.delay(job.pk))


def confirm_import(*, by: Any, job_id: int, valid_only: bool) -> RosterImport:
    """Import a checked roster. Exactly one confirmation wins if two arrive at once."""
    job = RosterImport.objects.filter(pk=job_id, user=by).first()
    if job is None:
        raise ImportStepError(_("This import does not exist."))
    rejected = job.preview.get("rejected", 0)
    if rejected and not valid_only:
        raise ImportStepError(
            _("Some rows were rejected. Fix them and upload again, or choose to import only the valid rows.")
        )
    if not (job.preview.get("new", 0) or job.preview.get("updated", 0)):
        raise ImportStepError(_("There is nothing to import: every row is unchanged or rejected."))
    claimed = RosterImport.objects.filter(pk=job.pk, status=RosterImport.Status.CHECKED).update(
        status=RosterImport.Status.IMPORTING, valid_only=valid_only, progress=0
    )
    if claimed != 1:
        raise ImportStepError(_("This import has already been confirmed."))
    job.refresh_from_db()
    _dispatch("import", job)
    job.refresh_from_db()
    return job


def run_step(*, job_id: int, step: str) -> None:
    """Check or import a stored roster; progress and outcome go to the job row."""
    job = RosterImport.objects.select_related("user").get(pk=job_id)
    expected = RosterImport.Status.CHECKING if step == "check" else RosterImport.Status.IMPORTING
    if job.status != expected:
        return  # a duplicate delivery of the task

    try:
        with job.file.open("rb") as fileobj, _progress_writer(job_id) as progress:
            report = importer.run(
                fileobj,
                user=job.user,
                write=step == "import",
                valid_only=job.valid_only,
                progress=progress,
                counted=job.estimated_rows or None,  # counted on upload; the stored file does not change
            )
    except UploadRejected as error:
        _finish(job_id, RosterImport.Status.FAILED, message=str(error))
        return
    except Exception:
        logger.exception("roster import %s failed at %s", job_id, step)
        _finish(
            job_id,
            RosterImport.Status.FAILED,
            message=_(
                "The import failed unexpectedly; nothing was written. Please try again or contact the administrator."
            ),
        )
        return
    data = report.as_dict()
    if step == "check":
        _finish(job_id, RosterImport.Status.CHECKED, preview=data, done=False, progress=report.total)
    elif report.rejected and not job.valid_only:
        _finish(
            job_id,
            RosterImport.Status.FAILED,
            result=data,
            message=_("Rows became invalid since the preview; nothing was written. Upload the file again."),
        )
    else:
        _finish(job_id, RosterImport.Status.DONE, result=data, progress=report.total)


@contextlib.contextmanager
def _progress_writer(job_id: int) -> Iterator[Callable[[int], None]]:
    """Record rows done on the job where the polling page can see it.

    The import runs in one transaction, so on PostgreSQL progress goes through a second
    connection that commits each update at once. SQLite allows one writer at a time, so
    there it is written in the import's own transaction and shows when that ends.
    """
    if connection.vendor != "postgresql":
        yield lambda rows: RosterImport.objects.filter(pk=job_id).update(progress=rows)
        return
    side: list[Any] = []  # opened at the first update: a small file finishes before anyone polls
    table = connection.ops.quote_name(RosterImport._meta.db_table)

    def progress(rows: int) -> None:
        if not side:
            side.append(connections.create_connection(DEFAULT_DB_ALIAS))
        with side[0].cursor() as cursor:
            cursor.execute(f"UPDATE {table} SET progress = %s WHERE id = %s", [rows, job_id])  # noqa: S608

    try:
        yield progress
    finally:
        for other in side:
            other.close()


def _finish(job_id: int, status: str, *, done: bool = True, **fields: Any) -> None:
    RosterImport.objects.filter(pk=job_id).update(status=status, finished_at=timezone.now() if done else None, **fields)
