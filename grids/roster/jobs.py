"""Running one step of a roster import job (check or import), in the request or a worker,
with progress written to the job row so the page can poll it and survive a reload."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.utils import timezone
from django.utils.translation import gettext as _

from grids.roster import importer
from grids.roster.models import RosterImport
from grids.roster.reader import SheetChoice
from grids.roster.xlsx import UploadRejected

logger = logging.getLogger(__name__)

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
                # The sheet the check read (or the user chose): the import reads the one the preview showed.
                sheet=job.preview.get("sheet") or None,
            )
    except SheetChoice as error:
        _finish(job_id, RosterImport.Status.FAILED, message=str(error), preview={"sheet_choices": error.sheets})
        return
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
