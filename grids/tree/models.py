"""The territory tree (street → community → grid, plus departments) and posts.

Permissions live on the nodes as django-guardian direct foreign-key object
permissions; a permission on a node covers everything beneath it (see access.py).
"""

from __future__ import annotations

import datetime
import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from grids.validators import validate_boundary, validate_code, validate_name

# One vocabulary of object permissions, declared on every node model so that a
# role can be granted the same codename at whichever level its post sits.
NODE_PERMISSIONS = [
    ("view_node", _("View this node and everything beneath it")),
    ("change_node", _("Work on this node and everything beneath it")),
    ("manage_node", _("Edit the settings of this node and those beneath it")),
    ("manage_posts", _("Create and end posts at this node and beneath it")),
    ("view_pii", _("See unmasked personal data at this node and beneath it")),
    ("mediate", _("Be assigned dispute cases at this node and beneath it")),
]


class Node(models.Model):
    """Fields shared by every node of the tree."""

    name = models.CharField(_("name"), max_length=64, validators=[validate_name])
    code = models.CharField(_("code"), max_length=32, unique=True, validators=[validate_code])
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    kind_label: str = ""

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.name


class Street(Node):
    class Meta:
        verbose_name = _("street")
        verbose_name_plural = _("streets")
        ordering = ["code"]
        default_permissions = ("add", "change", "delete", "view")
        permissions = NODE_PERMISSIONS

    def get_absolute_url(self) -> str:
        return reverse("grids:street", args=[self.pk])


class Community(Node):
    class Kind(models.TextChoices):
        COMMUNITY = "community", _("Community")
        VILLAGE = "village", _("Village")

    street = models.ForeignKey(Street, on_delete=models.PROTECT, related_name="communities", verbose_name=_("street"))
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.COMMUNITY)

    class Meta:
        verbose_name = _("community")
        verbose_name_plural = _("communities")
        ordering = ["code"]
        permissions = NODE_PERMISSIONS
        constraints = [
            models.UniqueConstraint(fields=["street", "name"], name="community_name_unique_in_street"),
        ]

    def get_absolute_url(self) -> str:
        return reverse("grids:community", args=[self.pk])


class Grid(Node):
    class Kind(models.TextChoices):
        COMPREHENSIVE = "comprehensive", _("Comprehensive grid")
        DEDICATED = "dedicated", _("Dedicated grid")

    community = models.ForeignKey(
        Community, on_delete=models.PROTECT, related_name="grids", verbose_name=_("community")
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.COMPREHENSIVE)
    household_target = models.PositiveIntegerField(
        _("household target"),
        default=300,
        validators=[MinValueValidator(1), MaxValueValidator(5000)],
        help_text=_("Households the grid is meant to cover (usually 80–500)."),
    )
    boundary = models.JSONField(_("boundary (GeoJSON)"), null=True, blank=True, validators=[validate_boundary])

    class Meta:
        verbose_name = _("grid")
        verbose_name_plural = _("grids")
        ordering = ["code"]
        permissions = NODE_PERMISSIONS
        constraints = [
            models.UniqueConstraint(fields=["community", "name"], name="grid_name_unique_in_community"),
            models.CheckConstraint(condition=Q(household_target__gte=1), name="grid_household_target_positive"),
        ]

    def get_absolute_url(self) -> str:
        return reverse("grids:grid", args=[self.pk])


class Department(Node):
    street = models.ForeignKey(Street, on_delete=models.PROTECT, related_name="departments", verbose_name=_("street"))

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["code"]
        permissions = NODE_PERMISSIONS
        constraints = [
            models.UniqueConstraint(fields=["street", "name"], name="department_name_unique_in_street"),
        ]

    def get_absolute_url(self) -> str:
        return reverse("grids:department", args=[self.pk])


class StreetUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Street, on_delete=models.CASCADE)


class StreetGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Street, on_delete=models.CASCADE)


class CommunityUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Community, on_delete=models.CASCADE)


class CommunityGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Community, on_delete=models.CASCADE)


class GridUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Grid, on_delete=models.CASCADE)


class GridGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Grid, on_delete=models.CASCADE)


class DepartmentUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Department, on_delete=models.CASCADE)


class DepartmentGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Department, on_delete=models.CASCADE)


class Role(models.TextChoices):
    STREET_ADMIN = "street_admin", _("Street administrator")
    STREET_OFFICIAL = "street_official", _("Street official")
    COMMUNITY_LEADER = "community_leader", _("Community leader")
    COMMUNITY_STAFF = "community_staff", _("Community staff")
    GRID_LEADER = "grid_leader", _("Grid leader")
    GRID_WORKER = "grid_worker", _("Grid worker")
    DEPARTMENT_STAFF = "department_staff", _("Department staff")
    MEDIATOR = "mediator", _("Mediator")


# Which kind of node each role is held at.
ROLE_NODE_FIELDS: dict[str, tuple[str, ...]] = {
    Role.STREET_ADMIN: ("street",),
    Role.STREET_OFFICIAL: ("street",),
    Role.COMMUNITY_LEADER: ("community",),
    Role.COMMUNITY_STAFF: ("community",),
    Role.GRID_LEADER: ("grid",),
    Role.GRID_WORKER: ("grid",),
    Role.DEPARTMENT_STAFF: ("department",),
    Role.MEDIATOR: ("street", "community"),
}

# What each role may do at its node (and, by inheritance, beneath it).
ROLE_PERMISSIONS: dict[str, tuple[str, ...]] = {
    Role.STREET_ADMIN: ("view_node", "change_node", "manage_node", "manage_posts", "view_pii"),
    Role.STREET_OFFICIAL: ("view_node", "change_node"),
    Role.COMMUNITY_LEADER: ("view_node", "change_node", "manage_node", "view_pii"),
    Role.COMMUNITY_STAFF: ("view_node", "change_node"),
    Role.GRID_LEADER: ("view_node", "change_node"),
    Role.GRID_WORKER: ("view_node", "change_node"),
    Role.DEPARTMENT_STAFF: ("view_node", "change_node"),
    Role.MEDIATOR: ("mediate",),
}

NODE_FIELDS = ("street", "community", "grid", "department")


def _exactly_one_node(allowed: tuple[str, ...]) -> Q:
    condition = Q()
    for field in allowed:
        option = Q(**{f"{field}__isnull": False})
        for other in NODE_FIELDS:
            if other != field:
                option &= Q(**{f"{other}__isnull": True})
        condition |= option
    return condition


def _role_node_condition() -> Q:
    condition = Q()
    for role, fields in ROLE_NODE_FIELDS.items():
        condition |= Q(role=role) & _exactly_one_node(fields)
    return condition


class PostQuerySet(models.QuerySet):
    def active_on(self, day: datetime.date) -> PostQuerySet:
        return self.filter(Q(end_date__isnull=True) | Q(end_date__gt=day), start_date__lte=day)

    def in_street(self, street_id: int) -> PostQuerySet:
        return self.filter(
            Q(street_id=street_id)
            | Q(community__street_id=street_id)
            | Q(grid__community__street_id=street_id)
            | Q(department__street_id=street_id)
        )


class Post(models.Model):
    """User U holds role R at exactly one node from start_date until end_date.

    end_date is the first day the post no longer applies, so ending a post
    "today" takes effect at once; an open-ended post has no end_date.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="posts", verbose_name=_("user")
    )
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    street = models.ForeignKey(
        Street, null=True, blank=True, on_delete=models.PROTECT, related_name="posts", verbose_name=_("street")
    )
    community = models.ForeignKey(
        Community, null=True, blank=True, on_delete=models.PROTECT, related_name="posts", verbose_name=_("community")
    )
    grid = models.ForeignKey(
        Grid, null=True, blank=True, on_delete=models.PROTECT, related_name="posts", verbose_name=_("grid")
    )
    department = models.ForeignKey(
        Department,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="posts",
        verbose_name=_("department"),
    )
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(
        _("end date"),
        null=True,
        blank=True,
        help_text=_("From this day on the post no longer applies; leave empty if open-ended."),
    )
    note = models.CharField(
        _("note"), max_length=200, blank=True, help_text=_("E.g. temporary cover (代班) for someone.")
    )
    # Whether the role's permissions are currently granted; kept in step by the
    # post actions and the periodic sync, so date boundaries take effect.
    granted = models.BooleanField(_("permissions granted"), default=False, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )

    objects = PostQuerySet.as_manager()

    class Meta:
        verbose_name = _("post")
        verbose_name_plural = _("posts")
        ordering = ["-start_date", "-id"]
        constraints = [
            models.CheckConstraint(condition=_role_node_condition(), name="post_role_matches_one_node"),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="post_end_not_before_start",
            ),
        ]
        indexes = [
            models.Index(fields=["user", "start_date"], name="post_user_start_idx"),
            models.Index(fields=["start_date", "end_date"], name="post_dates_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.node}"

    @property
    def node(self) -> Street | Community | Grid | Department:
        for field in NODE_FIELDS:
            if getattr(self, f"{field}_id") is not None:
                return getattr(self, field)
        raise ValueError("post has no node")

    def is_active_on(self, day: datetime.date) -> bool:
        return self.start_date <= day and (self.end_date is None or self.end_date > day)


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
        return self.address or _("(no address)")

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

    name = models.CharField(_("name"), max_length=64, validators=[validate_name])
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


class RosterImport(models.Model):
    """One uploaded roster file, from preview to import."""

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


def photo_file(instance: StoredPhoto, filename: str) -> str:
    return f"{instance.PHOTO_FOLDER}/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.jpg"


def thumbnail_file(instance: StoredPhoto, filename: str) -> str:
    return f"{instance.PHOTO_FOLDER}/{timezone.now():%Y/%m}/{uuid.uuid4().hex}-thumb.jpg"


class StoredPhoto(models.Model):
    """A photo cleaned by grids.photos (upright, no EXIF, shrunk) and its thumbnail."""

    PHOTO_FOLDER = "photos"

    image = models.FileField(upload_to=photo_file)
    thumbnail = models.FileField(upload_to=thumbnail_file)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()

    class Meta:
        abstract = True


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
