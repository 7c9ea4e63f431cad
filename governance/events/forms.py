"""Event forms: validate and normalise input; no writes."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from governance.events import actions
from governance.events.models import Event, EventCategory, Level
from governance.events.queries import EventFilter
from grids import access
from grids.photos import PhotosField
from grids.shared.forms import BootstrapForm, DateInput
from grids.tree.models import Department


class IdListField(forms.Field):
    """Several ids posted under one name (ticked checkboxes)."""

    widget = forms.MultipleHiddenInput

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> list[int]:
        values = value if isinstance(value, list | tuple) else ([value] if value else [])
        if not all(str(v).isdigit() for v in values) or len(values) > 20:
            raise forms.ValidationError(_("Choose residents from the search results."))
        return sorted({int(v) for v in values})


class EventReportForm(BootstrapForm):
    grid = forms.ModelChoiceField(queryset=None, label=_("Grid"), empty_label=None)
    category = forms.ModelChoiceField(queryset=EventCategory.objects.filter(is_active=True), label=_("Category"))
    description = forms.CharField(
        label=_("What is the problem?"), max_length=2000, widget=forms.Textarea(attrs={"rows": 4})
    )
    address = forms.CharField(label=_("Address or place"), max_length=200)
    urgency = forms.ChoiceField(
        label=_("Urgency"), choices=Event.Urgency.choices, initial=Event.Urgency.NORMAL, widget=forms.RadioSelect
    )
    latitude = forms.DecimalField(
        label=_("Latitude"), required=False, max_digits=9, decimal_places=6, min_value=-90, max_value=90
    )
    longitude = forms.DecimalField(
        label=_("Longitude"), required=False, max_digits=9, decimal_places=6, min_value=-180, max_value=180
    )
    solved_on_spot = forms.BooleanField(label=_("Solved on the spot (就地解决)"), required=False)
    photos = PhotosField(label=_("Photos (up to 9)"))
    merge_into = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    visit = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    # Ticked in the resident search results; the action checks each is in the grid and visible.
    residents = IdListField()
    result = forms.CharField(
        label=_("What was done (when solved on the spot)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        grids = access.visible_grids(user, access.CHANGE).select_related("community").order_by("code")
        self.fields["grid"].queryset = grids
        self.fields["grid"].label_from_instance = lambda g: f"{g.community.name} · {g.name}"

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("solved_on_spot") and not (data.get("result") or "").strip():
            self.add_error("result", _("Say what was done on the spot."))
        if (data.get("latitude") is None) != (data.get("longitude") is None):
            self.add_error("latitude", _("Give both latitude and longitude, or neither."))
        return data


class DuplicateQueryForm(forms.Form):
    """The report form's values that find possible duplicates."""

    grid = forms.IntegerField(min_value=1)
    category = forms.IntegerField(min_value=1)
    address = forms.CharField(required=False, max_length=200)
    latitude = forms.DecimalField(required=False, max_digits=9, decimal_places=6, min_value=-90, max_value=90)
    longitude = forms.DecimalField(required=False, max_digits=9, decimal_places=6, min_value=-180, max_value=180)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        return {
            "grid_id": data.get("grid"),
            "category_id": data.get("category"),
            "address": data.get("address") or "",
            "latitude": data.get("latitude"),
            "longitude": data.get("longitude"),
        }


class EventFilterForm(forms.Form):
    status = forms.ChoiceField(choices=[("", "")] + Event.Status.choices, required=False)
    category = forms.IntegerField(required=False, min_value=1)
    grid = forms.IntegerField(required=False, min_value=1)
    source = forms.ChoiceField(choices=[("", "")] + Event.Source.choices, required=False)
    date_from = forms.DateField(required=False, widget=DateInput)
    date_to = forms.DateField(required=False, widget=DateInput)
    overdue = forms.BooleanField(required=False)
    mine = forms.BooleanField(required=False)

    def to_filter(self) -> EventFilter:
        # A tampered or malformed parameter is dropped rather than refused: the list still shows.
        data = self.cleaned_data if self.is_valid() else {k: v for k, v in self._clean_each().items()}
        return EventFilter(
            status=data.get("status") or "",
            category_id=data.get("category"),
            grid_id=data.get("grid"),
            source=data.get("source") or "",
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            overdue=bool(data.get("overdue")),
            mine=bool(data.get("mine")),
        )

    def _clean_each(self) -> dict[str, Any]:
        valid = {}
        for name, field in self.fields.items():
            try:
                valid[name] = field.clean(field.widget.value_from_datadict(self.data, self.files, name))
            except forms.ValidationError:
                continue
        return valid


class VersionedForm(BootstrapForm):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class NoteForm(VersionedForm):
    note = forms.CharField(label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class ReasonForm(VersionedForm):
    reason = forms.CharField(label=_("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class MergeForm(VersionedForm):
    into = forms.IntegerField(label=_("Number of the event it repeats"), min_value=1)


class ResolveForm(VersionedForm):
    result = forms.CharField(label=_("Result"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))
    photos = PhotosField(label=_("Photos after the fix (up to 9)"))


class VerifyForm(VersionedForm):
    passed = forms.TypedChoiceField(
        label=_("Is it fixed?"),
        choices=[("1", _("Yes, close it")), ("0", _("No, send it back"))],
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("Note (required if not fixed)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class WhistleForm(VersionedForm):
    to_level = forms.ChoiceField(label=_("Whistle to"), choices=(), widget=forms.RadioSelect)
    departments = forms.ModelMultipleChoiceField(
        label=_("Departments"),
        queryset=Department.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    lead = forms.ModelChoiceField(
        label=_("Lead department (牵头)"),
        queryset=Department.objects.none(),
        required=False,
        empty_label=_("The first one ticked"),
        help_text=_("The lead department resolves the event; the others assist."),
    )
    reason = forms.CharField(label=_("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, event: Event, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        targets = actions.WHISTLE_TARGETS.get(event.level, ())
        self.fields["to_level"].choices = [(level, Level(level).label) for level in targets]
        if len(targets) == 1:
            self.fields["to_level"].initial = targets[0]
        departments = Department.objects.filter(street_id=event.grid.community.street_id).order_by("code")
        self.fields["departments"].queryset = departments
        self.fields["lead"].queryset = departments

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        chosen = list(data.get("departments") or [])
        if data.get("to_level") == Level.DEPARTMENT and not chosen:
            self.add_error("departments", _("Choose one or more departments."))
        lead = data.get("lead")
        if lead is not None and chosen and lead not in chosen:
            self.add_error("lead", _("The lead department must be one of those ticked."))
        return data

    def department_ids(self) -> list[int]:
        """The chosen departments, the lead first."""
        chosen = [d.pk for d in self.cleaned_data.get("departments") or []]
        lead = self.cleaned_data.get("lead")
        if lead is not None and lead.pk in chosen:
            chosen.remove(lead.pk)
            chosen.insert(0, lead.pk)
        return chosen
