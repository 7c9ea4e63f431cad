"""Move requests (迁移申请): staff ask to move a person registered in a grid outside
their area into one of theirs; the staff of the person's current grid (or above) decide."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from grids.residents.models import Resident
from grids.tree.models import Grid


class MoveRequest(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for a decision")
        ACCEPTED = "accepted", pgettext_lazy("move request", "Accepted")
        REFUSED = "refused", _("Refused")
        CANCELLED = "cancelled", _("Withdrawn")

    resident = models.ForeignKey(Resident, on_delete=models.PROTECT, related_name="move_requests")
    # Where the person was when asked: the grid whose staff decide.
    from_grid = models.ForeignKey(Grid, on_delete=models.PROTECT, related_name="+")
    to_grid = models.ForeignKey(Grid, on_delete=models.PROTECT, related_name="+")
    estate = models.CharField(_("estate"), max_length=64, blank=True)
    building = models.CharField(_("building"), max_length=32, blank=True)
    unit = models.CharField(_("unit"), max_length=16, blank=True)
    room = models.CharField(_("room"), max_length=16, blank=True)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("move request")
        verbose_name_plural = _("move requests")
        ordering = ["-requested_at", "-id"]
        indexes = [
            models.Index(fields=["from_grid", "status"], name="move_from_status_idx"),
            models.Index(fields=["requested_by", "status"], name="move_requester_status_idx"),
        ]
        constraints = [
            # One open request per person and destination: asking twice changes nothing.
            models.UniqueConstraint(
                fields=["resident", "to_grid"], condition=Q(status="pending"), name="move_one_pending_per_grid"
            )
        ]

    def __str__(self) -> str:
        return f"{self.resident_id} {self.from_grid_id}->{self.to_grid_id} {self.status}"

    @property
    def address(self) -> str:
        return " ".join(v for v in (self.estate, self.building, self.unit, self.room) if v)
