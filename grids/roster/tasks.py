"""Celery tasks of the roster import: take a job id, run one step of it; and the sweep
that queues again a step whose worker died or whose message never reached the broker."""

from __future__ import annotations

from celery import shared_task

from grids.roster import jobs
from grids.roster.models import RosterImport

# Task names are what queued messages carry: they stay as they were before the feature
# folders, so a job queued by an earlier release still runs.
#
# acks_late with reject_on_worker_lost: a message is acknowledged when its step has run,
# and goes back to the queue if the worker's process dies on it. Nothing reads results.


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, ignore_result=True, name="grids.tasks.check_roster")
def check_roster(self, job_id: int) -> None:
    jobs.run_step(job_id=job_id, step="check")


@shared_task(
    bind=True, acks_late=True, reject_on_worker_lost=True, ignore_result=True, name="grids.tasks.import_roster"
)
def import_roster(self, job_id: int) -> None:
    jobs.run_step(job_id=job_id, step="import")


# The task that runs a job in each running state.
STEP_TASKS = {RosterImport.Status.CHECKING: check_roster, RosterImport.Status.IMPORTING: import_roster}


@shared_task(bind=True, acks_late=True, ignore_result=True, name="grids.tasks.sweep_roster_imports")
def sweep_roster_imports(self) -> int:
    """Periodic (JOB_SWEEP_INTERVAL): queue again the steps whose heartbeat stopped."""
    return jobs.requeue_stalled(STEP_TASKS)
