"""Roster import actions: upload (and check), confirm. Each is one action.

Small files are handled within the request; larger ones in a Celery worker (see jobs).
"""

from __future__ import annotations

from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _

from grids.roster import jobs, reader, tasks
from grids.roster.models import RosterImport
from grids.roster.xlsx import DEFAULT_LIMITS, UploadRejected, inspect
from grids.shared import background

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
    if job.estimated_rows <= INLINE_ROWS:
        jobs.run_step(job_id=job.pk, step=step)
    else:
        # Never fails or holds up the request: if the broker is away the job stays queued,
        # the page says so, and the sweep sends it when the broker is back.
        background.queue_on_commit(tasks.STEP_TASKS[jobs.STEP_STATUS[step]], job)


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
        status=RosterImport.Status.IMPORTING,
        valid_only=valid_only,
        progress=0,
        # The import step starts afresh: its own attempts and heartbeat.
        attempts=0,
        heartbeat_at=None,
        queued_at=None,
    )
    if claimed != 1:
        raise ImportStepError(_("This import has already been confirmed."))
    job.refresh_from_db()
    _dispatch("import", job)
    job.refresh_from_db()
    return job


def choose_sheet(*, by: Any, job_id: int, sheet: str) -> RosterImport:
    """Check a stored roster again, reading the sheet the user chose among those that hold a roster header."""
    job = RosterImport.objects.filter(pk=job_id, user=by).first()
    if job is None:
        raise ImportStepError(_("This import does not exist."))
    choices = job.preview.get("sheet_choices", [])
    if sheet not in choices:
        raise ImportStepError(_("Choose one of the sheets listed."))
    # The choices stay until a check succeeds, so that another sheet can be tried if this one is refused.
    # Of two choices sent at once exactly one is checked.
    claimed = RosterImport.objects.filter(pk=job.pk, status=RosterImport.Status.FAILED).update(
        status=RosterImport.Status.CHECKING,
        preview={"sheet": sheet, "sheet_choices": choices},
        message="",
        progress=0,
        finished_at=None,
        # A fresh check: its own attempts and heartbeat.
        attempts=0,
        heartbeat_at=None,
        queued_at=None,
    )
    if claimed != 1:
        raise ImportStepError(_("This file is already being checked."))
    job.refresh_from_db()
    _dispatch("check", job)
    job.refresh_from_db()
    return job
