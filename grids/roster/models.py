"""One uploaded roster file and its way from preview to import."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from grids.shared.background import HeartbeatJob


class RosterImport(HeartbeatJob):
    """One uploaded roster file, from preview to import.

    Checking and importing a large file run in a worker; the job's heartbeat columns
    (grids/shared/background.py) let a sweep queue again a step whose worker died.
    """

    class Status(models.TextChoices):
        CHECKING = "checking", _("Checking")
        CHECKED = "checked", _("Checked, waiting for confirmation")
        IMPORTING = "importing", _("Importing")
        DONE = "done", _("Imported")
        FAILED = "failed", _("Could not be imported")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    file = models.FileField(upload_to="roster-imports/%Y/%m/")
    original_name = models.CharField(max_length=255)
    size = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.CHECKING)
    valid_only = models.BooleanField(default=False)
    estimated_rows = models.PositiveIntegerField(default=0)
    progress = models.PositiveIntegerField(default=0)
    preview = models.JSONField(default=dict, blank=True)
    result = models.JSONField(default=dict, blank=True)
    message = models.TextField(blank=True)

    class Meta:
        verbose_name = _("roster import")
        verbose_name_plural = _("roster imports")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.original_name} ({self.get_status_display()})"

    @property
    def running(self) -> bool:
        return self.status in {self.Status.CHECKING, self.Status.IMPORTING}

    @property
    def percent(self) -> int:
        if not self.running:
            return 100
        if not self.estimated_rows:
            return 0
        return min(100, self.progress * 100 // self.estimated_rows)
