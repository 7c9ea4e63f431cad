"""Running one step of a roster import job (check or import), in the request or a worker,
with progress written to the job row so the page can poll it and survive a reload."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from grids import pii
from grids.roster import importer
from grids.roster.models import RosterImport
from grids.roster.reader import SheetChoice
from grids.roster.xlsx import UploadRejected
from grids.shared import background

logger = logging.getLogger(__name__)

# A file whose step killed its worker this many times (e.g. out of memory) is given up.
MAX_ATTEMPTS = 5

STEP_STATUS = {"check": RosterImport.Status.CHECKING, "import": RosterImport.Status.IMPORTING}


class _Overtaken(Exception):
    """Another run of the step has claimed the job since this one started."""


def run_step(*, job_id: int, step: str) -> None:
    """Check or import a stored roster; progress and outcome go to the job row.

    Safe to call more than once for the same step (a message delivered twice, or queued
    again by the sweep): the job is claimed by a conditional UPDATE under a lock, and the
    import's rows and the job's outcome are committed in one transaction.
    """
    expected = STEP_STATUS[step]
    with background.exclusive(RosterImport, job_id) as mine:
        if not mine:
            return  # another worker runs it; should that one die, the sweep queues it again
        attempt = background.claim(RosterImport.objects.filter(status=expected), job_id)
        if attempt is None:
            return  # finished already: a duplicate delivery
        if attempt > MAX_ATTEMPTS:
            _finish(
                job_id,
                expected,
                attempt,
                RosterImport.Status.FAILED,
                message=_(
                    "The background service stopped %(n)d times while working on this file, so it was given up; "
                    "nothing was written. Split the file into smaller ones and upload them."
                )
                % {"n": MAX_ATTEMPTS},
            )
            return
        _run(RosterImport.objects.select_related("user").get(pk=job_id), step, attempt)


def _run(job: RosterImport, step: str, attempt: int) -> None:
    expected = STEP_STATUS[step]
    lookups: list[int] = []
    try:
        # The outcome is written in the import's own transaction: a worker that dies before
        # the commit leaves nothing, one that dies after it leaves the job finished.
        with transaction.atomic():
            with job.file.open("rb") as fileobj, _progress_writer(job.pk, attempt) as progress:
                report = importer.run(
                    fileobj,
                    user=job.user,
                    write=step == "import",
                    valid_only=job.valid_only,
                    progress=progress,
                    counted=job.estimated_rows or None,  # counted on upload; the stored file does not change
                    # The sheet the check read (or the user chose): the import reads the one the preview showed.
                    sheet=job.preview.get("sheet") or None,
                )
            lookups = report.lookups
            status, fields = _outcome(job, step, report.as_dict(), report.total)
            if not _finish(job.pk, expected, attempt, status, **fields):
                raise _Overtaken
    except _Overtaken:
        return
    except SheetChoice as error:
        _finish(
            job.pk,
            expected,
            attempt,
            RosterImport.Status.FAILED,
            message=str(error),
            preview={"sheet_choices": error.sheets},
        )
        return
    except UploadRejected as error:
        lookups = getattr(error, "resident_ids", [])
        _finish(job.pk, expected, attempt, RosterImport.Status.FAILED, message=str(error))
    except Exception:
        logger.exception("roster import %s failed at %s", job.pk, step)
        _finish(
            job.pk,
            expected,
            attempt,
            RosterImport.Status.FAILED,
            message=_(
                "The import failed unexpectedly; nothing was written. Please try again or contact the administrator."
            ),
        )
    finally:
        # After the job's transaction: a refused or rolled-back file still leaves its lookups logged.
        pii.log_lookups(user=job.user, resident_ids=lookups, detail="roster import")


def _outcome(job: RosterImport, step: str, data: dict[str, Any], total: int) -> tuple[str, dict[str, Any]]:
    if step == "check":
        return RosterImport.Status.CHECKED, {"preview": data, "done": False, "progress": total}
    if data["rejected"] and not job.valid_only:
        message = _("Rows became invalid since the preview; nothing was written. Upload the file again.")
        return RosterImport.Status.FAILED, {"result": data, "message": message}
    return RosterImport.Status.DONE, {"result": data, "progress": total}


def requeue_stalled(step_tasks: dict[str, Any]) -> int:
    """Queue again every running job whose worker stopped or whose message never left."""
    running = RosterImport.objects.filter(status__in=list(step_tasks))
    return background.sweep(running, lambda job: step_tasks[job.status])


@contextlib.contextmanager
def _progress_writer(job_id: int, attempt: int) -> Iterator[Callable[[int], None]]:
    """Record rows done, and the heartbeat, on the job where the polling page and the sweep see them.

    The import runs in one transaction, so on PostgreSQL progress goes through a second
    connection that commits each update at once. SQLite allows one writer at a time, so
    there it is written in the import's own transaction and shows when that ends.
    Only the current run writes: one overtaken by another leaves the row alone.
    """
    if connection.vendor != "postgresql":
        yield lambda rows: RosterImport.objects.filter(pk=job_id, attempts=attempt).update(
            progress=rows, heartbeat_at=timezone.now()
        )
        return
    side: list[Any] = []  # opened at the first update: a small file finishes before anyone polls
    table = connection.ops.quote_name(RosterImport._meta.db_table)

    def progress(rows: int) -> None:
        if not side:
            side.append(connections.create_connection(DEFAULT_DB_ALIAS))
        with side[0].cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET progress = %s, heartbeat_at = %s WHERE id = %s AND attempts = %s",  # noqa: S608
                [rows, timezone.now(), job_id, attempt],
            )

    try:
        yield progress
    finally:
        for other in side:
            other.close()


def _finish(job_id: int, expected: str, attempt: int, status: str, *, done: bool = True, **fields: Any) -> bool:
    """Record a step's outcome, if this run still holds the job (see background.claim)."""
    return (
        RosterImport.objects.filter(pk=job_id, status=expected, attempts=attempt).update(
            status=status, finished_at=timezone.now() if done else None, **fields
        )
        == 1
    )
