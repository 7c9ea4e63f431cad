"""Celery tasks of the tree: take ids and plain values, call one action."""

from __future__ import annotations

from celery import shared_task

from grids.tree import actions

# Task names are what queued messages and the beat schedule carry: they stay as they were
# before the feature folders, so nothing already queued is lost.


@shared_task(bind=True, acks_late=True, name="grids.tasks.sync_post_permissions")
def sync_post_permissions(self) -> int:
    """Periodic: grant posts whose start date has come, revoke those that ended."""
    return actions.sync_post_permissions()
