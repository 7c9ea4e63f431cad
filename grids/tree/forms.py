"""Forms of the tree, posts and accounts: validate and normalise input, never write."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib.auth import get_user_model, password_validation
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from grids import access
from grids.shared.forms import BootstrapForm, DateInput
from grids.tree.models import Community, Department, Grid, Role, Street
from grids.tree.validators import normalise_name, validate_boundary, validate_name

User = get_user_model()

_KIND_MODELS = {"street": Street, "community": Community, "grid": Grid, "department": Department}
_KIND_LABELS = {
    "street": _("Streets"),
    "community": _("Communities / villages"),
    "grid": _("Grids"),
    "department": _("Departments"),
}


class PostForm(BootstrapForm):
    username = forms.CharField(label=_("User name"), max_length=150)
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    node = forms.ChoiceField(
        label=_("Unit"),
        help_text=_("The street, community, grid or department of the post."),
        error_messages={"invalid_choice": _("This unit is not within the area you manage.")},
    )
    start_date = forms.DateField(label=_("Start date"), widget=DateInput())
    end_date = forms.DateField(
        label=_("End date"),
        required=False,
        widget=DateInput(),
        help_text=_("From this day on the post no longer applies; leave empty if open-ended."),
    )
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args: Any, by: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.by = by
        self.fields["start_date"].initial = timezone.localdate()
        choices: list[tuple[str, Any]] = [("", "---------")]
        for kind, model in _KIND_MODELS.items():
            nodes = access.scoped(by, model.objects.all(), access.MANAGE_POSTS)
            if kind == "grid":
                nodes = nodes.select_related("community")
            options = [(f"{kind}:{n.pk}", self._label(kind, n)) for n in nodes.order_by("code")]
            if options:
                choices.append((_KIND_LABELS[kind], options))
        self.fields["node"].choices = choices

    @staticmethod
    def _label(kind: str, node: Any) -> str:
        if kind == "grid":
            return f"{node.community.name} · {node.name}"
        return node.name

    def clean_username(self) -> Any:
        username = self.cleaned_data["username"].strip()
        user = User.objects.filter(username__iexact=username).first()
        if user is None:
            raise forms.ValidationError(_("No account with this user name exists."))
        if not user.is_active:
            raise forms.ValidationError(_("This account is disabled and cannot hold a post."))
        return user

    def clean_node(self) -> Any:
        kind, _sep, raw_id = self.cleaned_data["node"].partition(":")
        model = _KIND_MODELS.get(kind)
        if model is None or not raw_id.isdigit():
            raise forms.ValidationError(_("Choose a unit from the list."))
        node = access.scoped(self.by, model.objects.all(), access.MANAGE_POSTS).filter(pk=int(raw_id)).first()
        if node is None:
            raise forms.ValidationError(_("This unit is not within the area you manage."))
        return node

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("start_date"), data.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", _("The end date cannot be before the start date."))
        return data


class EndPostForm(BootstrapForm):
    end_date = forms.DateField(
        label=_("End date"),
        widget=DateInput(),
        help_text=_("From this day on the post no longer applies. Today ends it at once."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["end_date"].initial = timezone.localdate()


class GridForm(BootstrapForm):
    name = forms.CharField(label=_("Name"), max_length=64)
    kind = forms.ChoiceField(label=_("Kind"), choices=Grid.Kind.choices)
    household_target = forms.IntegerField(label=_("Household target"), min_value=1, max_value=5000)
    boundary = forms.CharField(
        label=_("Boundary (GeoJSON)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Optional: a GeoJSON Polygon or MultiPolygon, e.g. exported from a map tool."),
    )

    def clean_name(self) -> str:
        name = normalise_name(self.cleaned_data["name"])
        validate_name(name)
        return name

    def clean_boundary(self) -> Any:
        raw = self.cleaned_data["boundary"].strip()
        if not raw:
            return None
        try:
            value = json.loads(raw)
        except json.JSONDecodeError:
            raise forms.ValidationError(_("The boundary is not valid JSON.")) from None
        validate_boundary(value)
        return value


class AccountForm(BootstrapForm):
    username = forms.RegexField(
        label=_("User name"),
        max_length=150,
        regex=r"^[A-Za-z0-9_.-]{3,150}$",
        error_messages={"invalid": _("Use 3–150 letters, digits, '.', '-' or '_'.")},
    )
    full_name = forms.CharField(label=_("Full name"), max_length=150)
    password = forms.CharField(label=_("Initial password"), widget=forms.PasswordInput, strip=False)

    def clean_username(self) -> str:
        username = self.cleaned_data["username"]
        if User.objects.filter(username__iexact=username).exists():
            raise forms.ValidationError(_("An account with this user name already exists."))
        return username

    def clean_full_name(self) -> str:
        name = normalise_name(self.cleaned_data["full_name"])
        validate_name(name)
        return name

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("password"):
            try:
                password_validation.validate_password(data["password"], User(username=data.get("username", "")))
            except forms.ValidationError as error:
                self.add_error("password", error)
        return data
