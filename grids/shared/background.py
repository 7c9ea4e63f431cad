"""Background jobs whose state lives on a database row, so that they outlive a broker or
worker failure (CONVENTIONS.md, "Tasks and jobs").

A job row carries when its current step was last handed to the broker (`queued_at`),
when a worker last showed it was working on it (`heartbeat_at`) and how many times a
worker has started it (`attempts`). Queueing happens after commit and never holds up a
request: if the broker does not answer within its short timeouts the row stays queued
and a periodic sweep queues it again, as it does for any job whose heartbeat stopped
(a worker killed, a message lost). A worker claims the step with a conditional UPDATE,
so a second delivery of the same step does nothing.
"""

from __future__ import annotations

import contextlib
import datetime
import logging
import time
from collections.abc import Callable, Iterator
from typing import Any

from django.conf import settings
from django.db import connection, models, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

logger = logging.getLogger(__name__)

# One try, bounded by the broker's socket timeouts in settings (2 s against a frozen Redis,
# at once against a stopped one). The Redis client reconnects a pooled connection left
# stale by a restart by itself. Without a retry policy kombu would retry connecting for
# the whole connection timeout, and more tries only multiply the wait.
PUBLISH_RETRY = {"max_retries": 0, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}

# How long a step waits for the lock of a run that is ending (a killed worker's connection).
LOCK_WAIT = 10.0


class HeartbeatJob(models.Model):
    """Columns and reads shared by every job that a worker runs and a sweep watches."""

    queued_at = models.DateTimeField(null=True, blank=True, editable=False)
    heartbeat_at = models.DateTimeField(null=True, blank=True, editable=False)
    attempts = models.PositiveSmallIntegerField(default=0, editable=False)

    class Meta:
        abstract = True

    @property
    def running(self) -> bool:
        """Whether the job is in a state a worker works on; each job model says which."""
        raise NotImplementedError

    @property
    def alive(self) -> bool:
        """A worker is on it: its last heartbeat is recent."""
        return self.running and _recent(self.heartbeat_at)

    @property
    def waiting(self) -> bool:
        """Handed to the broker recently; no worker has shown it is on it yet."""
        return self.running and not self.alive and _recent(self.queued_at)

    @property
    def stalled(self) -> bool:
        """Neither queued nor worked on recently: the broker or the workers are down; the sweep queues it again."""
        return self.running and not self.alive and not _recent(self.queued_at)


def heartbeat_timeout() -> datetime.timedelta:
    return datetime.timedelta(seconds=settings.JOB_HEARTBEAT_TIMEOUT)


def _recent(moment: datetime.datetime | None) -> bool:
    return moment is not None and moment >= timezone.now() - heartbeat_timeout()


def queue_on_commit(task: Any, job: HeartbeatJob) -> None:
    """Mark the job queued and send `task(job.pk)` once the transaction commits.

    The request goes on whether or not the broker takes the message; if it does not,
    the job's `queued_at` is cleared so the page says so and the next sweep sends it.
    """
    model, pk = type(job), job.pk
    job.queued_at = timezone.now()
    model.objects.filter(pk=pk).update(queued_at=job.queued_at)
    transaction.on_commit(lambda: send(task, model, pk))


def send(task: Any, model: type[HeartbeatJob], pk: int) -> bool:
    """Publish `task(pk)` without waiting for a result; False (and the row marked) if the broker failed."""
    try:
        task.apply_async(args=(pk,), ignore_result=True, retry=True, retry_policy=PUBLISH_RETRY)
    except Exception as error:  # noqa: BLE001 - any broker failure: the sweep sends it later
        logger.warning(
            "could not queue %s for %s %s (%s); the sweep will queue it again", task.name, model.__name__, pk, error
        )
        model.objects.filter(pk=pk).update(queued_at=None)
        return False
    return True


def sweep(jobs: QuerySet, task_for: Callable[[Any], Any]) -> int:
    """Queue again every running job (of `jobs`) neither worked on nor queued recently.

    Each job is claimed by a conditional UPDATE of `queued_at`, so sweeps that overlap
    queue it once. Returns how many were queued.
    """
    now = timezone.now()
    cutoff = now - heartbeat_timeout()
    stale = jobs.filter(Q(heartbeat_at__isnull=True) | Q(heartbeat_at__lt=cutoff)).filter(
        Q(queued_at__isnull=True) | Q(queued_at__lt=cutoff)
    )
    queued = 0
    for job in stale.order_by("pk"):
        if type(job).objects.filter(pk=job.pk, queued_at=job.queued_at).update(queued_at=now) != 1:
            continue  # another sweep took it
        queued += send(task_for(job), type(job), job.pk)
    return queued


@contextlib.contextmanager
def exclusive(model: type[HeartbeatJob], pk: int) -> Iterator[bool]:
    """Yield True while this process alone runs the job, False if another one does.

    On PostgreSQL an advisory lock held by this connection, which PostgreSQL drops with
    the connection of a killed worker; the wait covers the moment until it notices. Elsewhere
    (SQLite in development: one worker, one writer) it yields True and the claim's
    heartbeat condition keeps a second delivery out.
    """
    if connection.vendor != "postgresql":
        yield True
        return
    key = [model._meta.db_table, pk & 0x7FFFFFFF]
    deadline = time.monotonic() + LOCK_WAIT
    with connection.cursor() as cursor:
        while True:
            cursor.execute("SELECT pg_try_advisory_lock(hashtext(%s), %s)", key)
            if cursor.fetchone()[0]:
                break
            if time.monotonic() >= deadline:
                yield False
                return
            time.sleep(0.2)
    try:
        yield True
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(hashtext(%s), %s)", key)


def claim(jobs: QuerySet, pk: int) -> int | None:
    """Start a step, inside `exclusive`: a conditional UPDATE on the row (`jobs` is already
    filtered to the step's state).

    Returns the attempt number, which the runner's later writes name so that a runner
    overtaken by another writes nothing; None if the step is done or someone else runs it.
    Without PostgreSQL's lock only a job whose heartbeat stopped can be claimed.
    """
    now = timezone.now()
    mine = jobs.filter(pk=pk)
    if connection.vendor != "postgresql":
        mine = mine.filter(Q(heartbeat_at__isnull=True) | Q(heartbeat_at__lt=now - heartbeat_timeout()))
    if mine.update(heartbeat_at=now, attempts=F("attempts") + 1) != 1:
        return None
    return jobs.model.objects.values_list("attempts", flat=True).get(pk=pk)
