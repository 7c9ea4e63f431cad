"""Celery tasks of the roster import: take a job id, run one step of it."""

from __future__ import annotations

from celery import shared_task

from grids.roster import jobs

# Task names are what queued messages carry: they stay as they were before the feature
# folders, so a job queued by an earlier release still runs.


@shared_task(bind=True, acks_late=True, name="grids.tasks.check_roster")
def check_roster(self, job_id: int) -> None:
    jobs.run_step(job_id=job_id, step="check")


@shared_task(bind=True, acks_late=True, name="grids.tasks.import_roster")
def import_roster(self, job_id: int) -> None:
    jobs.run_step(job_id=job_id, step="import")
