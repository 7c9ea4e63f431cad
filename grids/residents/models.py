"""Households and residents with their population tags, change history and the log of
who saw their personal data unmasked."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from grids.tree.models import Grid, Street
from grids.tree.validators import validate_name


class PopulationTag(models.Model):
    """A configurable population tag (低保, 独居老人 …), optionally with a visit rule."""

    name = models.CharField(_("name"), max_length=32, unique=True, validators=[validate_name])
    visit_interval_days = models.PositiveSmallIntegerField(
        _("visit every (days)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(366)],
        help_text=_("Tagged residents are due a household visit this often; empty for no rule."),
    )
    is_active = models.BooleanField(_("in use"), default=True)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=100)

    class Meta:
        verbose_name = _("population tag")
        verbose_name_plural = _("population tags")
        ordering = ["sort_order", "name"]

    def __str__(self) -> str:
        return self.name


class Household(models.Model):
    """A household (户) at one address in one grid."""

    grid = models.ForeignKey(Grid, on_delete=models.PROTECT, related_name="households", verbose_name=_("grid"))
    household_no = models.CharField(_("household number"), max_length=32, blank=True)
    estate = models.CharField(_("estate"), max_length=64, blank=True)
    building = models.CharField(_("building"), max_length=32, blank=True)
    unit = models.CharField(_("unit"), max_length=16, blank=True)
    room = models.CharField(_("room"), max_length=16, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("household")
        verbose_name_plural = _("households")
        ordering = ["grid", "estate", "building", "unit", "room"]
        constraints = [
            models.UniqueConstraint(
                fields=["grid", "estate", "building", "unit", "room"], name="household_address_unique_in_grid"
            ),
        ]

    def __str__(self) -> str:
        return self.address or str(_("(no address)"))

    @property
    def address(self) -> str:
        parts = [self.estate]
        if self.building:
            parts.append(_("Building %(b)s") % {"b": self.building})
        if self.unit:
            parts.append(_("Unit %(u)s") % {"u": self.unit})
        if self.room:
            parts.append(_("Room %(r)s") % {"r": self.room})
        return " ".join(p for p in parts if p)


class Resident(models.Model):
    class Sex(models.TextChoices):
        MALE = "M", _("Male")
        FEMALE = "F", _("Female")

    class ResidenceType(models.TextChoices):
        REGISTERED = "registered", _("Registered (户籍)")
        RESIDENT = "resident", _("Resident (常住)")
        MIGRANT = "migrant", _("Migrant (流动)")
        FOREIGN = "foreign", _("Foreign (境外)")

    class Relation(models.TextChoices):
        HEAD = "head", _("Head of household")
        SPOUSE = "spouse", _("Spouse")
        CHILD = "child", _("Child")
        PARENT = "parent", _("Parent")
        GRANDCHILD = "grandchild", _("Grandchild")
        SIBLING = "sibling", _("Sibling")
        OTHER = "other", _("Other")

    class Political(models.TextChoices):
        CPC = "cpc", _("CPC member")
        CPC_PROBATIONARY = "cpc_probationary", _("CPC probationary member")
        CYL = "cyl", _("CYL member")
        DEMOCRATIC = "democratic", _("Democratic party member")
        MASSES = "masses", _("Ordinary citizen")

    name = models.CharField(pgettext_lazy("person", "name"), max_length=64, validators=[validate_name])
    # Pinyin of the name, so that `zs` or `zhangsan` finds 张三.
    # Searched only by prefix (see the indexes below).
    name_pinyin = models.CharField(max_length=255, editable=False)
    name_initials = models.CharField(max_length=64, editable=False)
    id_number = models.CharField(_("ID number"), max_length=18)
    birth_date = models.DateField(_("birth date"), editable=False)
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices, editable=False)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    ethnicity = models.CharField(_("ethnicity"), max_length=16, blank=True, default="汉族")
    # Indexed by the composite indexes that start with grid.
    grid = models.ForeignKey(
        Grid, on_delete=models.PROTECT, related_name="residents", verbose_name=_("grid"), db_index=False
    )
    household = models.ForeignKey(
        Household, on_delete=models.PROTECT, related_name="members", verbose_name=_("household")
    )
    relation = models.CharField(_("relation to head"), max_length=16, choices=Relation.choices, blank=True)
    residence_type = models.CharField(
        _("residence type"), max_length=16, choices=ResidenceType.choices, default=ResidenceType.REGISTERED
    )
    political_status = models.CharField(_("political status"), max_length=20, choices=Political.choices, blank=True)
    tags = models.ManyToManyField(PopulationTag, blank=True, related_name="residents", verbose_name=_("tags"))
    moved_out_on = models.DateField(_("moved out on"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    # Not indexed: it is only read on a resident's page, and deleting an account is rare.
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
        db_index=False,
    )
    # Set when the resident came in through a roster import (the history's first line).
    imported = models.BooleanField(default=False, editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("resident")
        verbose_name_plural = _("residents")
        ordering = ["grid", "household", "id"]
        # Every index slows a 100,000-row import, so each one here is needed and none repeats another.
        indexes = [
            models.Index(fields=["grid", "moved_out_on"], name="resident_grid_moved_idx"),
            models.Index(fields=["grid", "household", "id"], name="resident_list_order_idx"),
            models.Index(fields=["birth_date"], name="resident_birth_idx"),
            # Prefix search (LIKE 'zs%'), which a plain index cannot serve under a non-C collation.
            models.Index(fields=["name_pinyin"], name="resident_pinyin_idx", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["name_initials"], name="resident_initials_idx", opclasses=["varchar_pattern_ops"]),
        ]
        # A constraint rather than unique=True, which on PostgreSQL adds a second (LIKE) index nothing uses.
        constraints = [models.UniqueConstraint(fields=["id_number"], name="resident_id_number_unique")]

    def __str__(self) -> str:
        return self.name


class ResidentChange(models.Model):
    """History of a resident: who changed what, when (ID numbers and phones are stored masked)."""

    class Kind(models.TextChoices):
        CREATED = "created", _("Created")
        UPDATED = "updated", _("Updated")
        MOVED_OUT = "moved_out", _("Moved out")
        IMPORTED = "imported", _("Imported")
        MOVED_IN = "moved_in", _("Moved in from another grid")

    resident = models.ForeignKey(Resident, on_delete=models.CASCADE, related_name="changes")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    changes = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.resident_id} {self.kind} {self.at:%Y-%m-%d %H:%M}"


class PersonalDataAccess(models.Model):
    """Every view or export of unmasked personal data: who, what, when, why."""

    class Action(models.TextChoices):
        VIEW = "view", _("Viewed resident")
        LIST = "list", _("Viewed resident list")
        EXPORT = "export", _("Exported residents")
        EDIT = "edit", _("Opened resident edit form")
        # An ID number typed by someone who may not see that resident matched them
        # (resident form, roster import, move request): the lookup itself is logged.
        LOOKUP = "lookup", _("ID number matched a resident outside own area")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    action = models.CharField(max_length=16, choices=Action.choices)
    street = models.ForeignKey(Street, null=True, on_delete=models.SET_NULL, related_name="+")
    resident = models.ForeignKey(Resident, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    count = models.PositiveIntegerField(default=1)
    detail = models.CharField(max_length=500, blank=True)
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name = _("personal data access")
        verbose_name_plural = _("personal data accesses")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.user_id} {self.action} {self.at:%Y-%m-%d %H:%M}"
