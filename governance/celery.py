"""The Celery app. Broker and backend come from settings (Redis or the filesystem)."""

import os
import socket
from pathlib import Path

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "governance.settings")

app = Celery("governance")
app.config_from_object("django.conf:settings", namespace="CELERY")

PROJECT_APPS = ("governance", "grids", "disputes", "services")


def feature_packages() -> list[str]:
    """Every package of the project's apps that holds a tasks module: the feature folders.

    Celery's own discovery looks only for `<app>.tasks`; here tasks live with their feature.
    """
    root = Path(__file__).resolve().parent.parent
    found = []
    for app_name in PROJECT_APPS:
        for tasks in sorted((root / app_name).glob("**/tasks.py")):
            found.append(".".join(tasks.parent.relative_to(root).parts))
    return found


app.autodiscover_tasks(feature_packages)


# Its result is read by whoever sent it (CELERY_TASK_IGNORE_RESULT keeps the others' off Redis).
@app.task(bind=True, acks_late=True, ignore_result=False, name="governance.tasks.health")
def health(self, token: str) -> dict:
    """Echo a token back, proving a worker took the task from the broker."""
    from django.utils import timezone

    return {"token": token, "worker": self.request.hostname or socket.gethostname(), "at": timezone.now().isoformat()}


def broker_answers(timeout: float = 0.5) -> bool:
    """Whether the broker answers within `timeout` seconds (connect, then a PING); never raises.

    Asked by the health check, which must answer quickly however the broker fails: refused,
    frozen, or a name that does not resolve.
    """
    from django.conf import settings

    if not settings.REDIS_URL:
        # The filesystem transport of development: it answers while its folder is there.
        folder = settings.CELERY_BROKER_TRANSPORT_OPTIONS["data_folder_in"]
        return os.path.isdir(folder) and os.access(folder, os.W_OK)
    import redis

    client = redis.Redis.from_url(
        settings.REDIS_URL, socket_connect_timeout=timeout, socket_timeout=timeout, retry_on_timeout=False
    )
    try:
        return bool(client.ping())
    except Exception:  # noqa: BLE001 - any failure means "unavailable", never an error page
        return False
    finally:
        client.close()
