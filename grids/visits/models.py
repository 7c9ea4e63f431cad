"""Household visits (走访) and their photos."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from grids.photos import StoredPhoto
from grids.residents.models import Household, Resident
from grids.tree.models import Grid


class Visit(models.Model):
    """A household visit (走访) by grid staff: to a household, or to one resident in it."""

    class Kind(models.TextChoices):
        ROUTINE = "routine", _("Routine visit")
        CARE = "care", _("Care visit (关爱)")
        SAFETY = "safety", _("Safety check")
        FOLLOW_UP = "follow_up", _("Follow-up")

    grid = models.ForeignKey(Grid, on_delete=models.PROTECT, related_name="visits", verbose_name=_("grid"))
    household = models.ForeignKey(
        Household, on_delete=models.PROTECT, related_name="visits", verbose_name=_("household")
    )
    resident = models.ForeignKey(
        Resident, null=True, blank=True, on_delete=models.PROTECT, related_name="visits", verbose_name=_("resident")
    )
    visited_on = models.DateField(_("visited on"))
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default=Kind.ROUTINE)
    findings = models.TextField(_("findings"), max_length=2000, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        ordering = ["-visited_on", "-id"]
        indexes = [
            models.Index(fields=["household", "-visited_on"], name="visit_household_idx"),
            models.Index(fields=["resident", "-visited_on"], name="visit_resident_idx"),
            models.Index(fields=["grid", "-visited_on"], name="visit_grid_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.household} {self.visited_on}"


class VisitPhoto(StoredPhoto):
    PHOTO_FOLDER = "visits"

    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="photos")

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"visit {self.visit_id} photo {self.pk}"
