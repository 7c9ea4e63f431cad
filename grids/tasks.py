"""Celery tasks of the grids app: take ids and plain values, call one action."""

from __future__ import annotations

from celery import shared_task

from grids import actions


@shared_task(bind=True, acks_late=True)
def sync_post_permissions(self) -> int:
    """Periodic: grant posts whose start date has come, revoke those that ended."""
    return actions.sync_post_permissions()


@shared_task(bind=True, acks_late=True)
def check_roster(self, job_id: int) -> None:
    from grids.roster import jobs

    jobs.run_step(job_id=job_id, step="check")


@shared_task(bind=True, acks_late=True)
def import_roster(self, job_id: int) -> None:
    from grids.roster import jobs

    jobs.run_step(job_id=job_id, step="import")
