"""Celery tasks of the governance app."""

from __future__ import annotations

import socket

from celery import shared_task
from django.utils import timezone


@shared_task(bind=True, acks_late=True)
def health(self, token: str) -> dict:
    """Echo a token back, proving a worker took the task from the broker."""
    return {"token": token, "worker": self.request.hostname or socket.gethostname(), "at": timezone.now().isoformat()}
