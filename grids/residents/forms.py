"""Forms for residents: validate and normalise input, never write."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from grids import access
from grids.pii import mask_id, mask_phone
from grids.residents.actions import ResidentData
from grids.residents.cleaning import CellError, clean_id_number, clean_name, clean_phone, normalise_text
from grids.residents.models import PopulationTag, Resident
from grids.residents.queries import ResidentFilter
from grids.shared.forms import BootstrapForm, DateInput


class ResidentForm(BootstrapForm):
    name = forms.CharField(label=_("Full name"), max_length=64)
    id_number = forms.CharField(
        label=_("ID number"), max_length=40, help_text=_("18 characters; birth date and sex are taken from it.")
    )
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False)
    grid = forms.ModelChoiceField(label=_("Grid"), queryset=None)
    estate = forms.CharField(label=_("Estate"), max_length=64, required=False)
    building = forms.CharField(label=_("Building"), max_length=32, required=False)
    unit = forms.CharField(label=pgettext_lazy("address", "Unit"), max_length=16, required=False)
    room = forms.CharField(label=_("Room"), max_length=16, required=False)
    relation = forms.ChoiceField(
        label=_("Relation to head"), choices=[("", "---------"), *Resident.Relation.choices], required=False
    )
    residence_type = forms.ChoiceField(label=_("Residence type"), choices=Resident.ResidenceType.choices)
    ethnicity = forms.CharField(label=_("Ethnicity"), max_length=16, required=False, initial="汉族")
    political_status = forms.ChoiceField(
        label=_("Political status"), choices=[("", "---------"), *Resident.Political.choices], required=False
    )
    tags = forms.ModelMultipleChoiceField(
        label=_("Tags"),
        queryset=PopulationTag.objects.filter(is_active=True),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args: Any, by: Any, keep: dict[str, str] | None = None, **kwargs: Any) -> None:
        """`keep`: stored values shown masked; sent back unchanged (still masked), they stay as stored."""
        super().__init__(*args, **kwargs)
        self.keep = keep or {}
        self.fields["grid"].queryset = (
            access.visible_grids(by, access.CHANGE).select_related("community").order_by("code")
        )
        self.fields["grid"].label_from_instance = lambda g: f"{g.community.name} · {g.name}"
        self.fields["tags"].widget.attrs["class"] = "form-check-input"
        self.fields["id_number"].widget.attrs.update({"inputmode": "text", "autocomplete": "off"})
        self.fields["phone"].widget.attrs.update({"inputmode": "tel"})

    def _cell(self, cleaner, name: str) -> str:
        try:
            return cleaner(self.cleaned_data[name])
        except CellError as error:
            raise forms.ValidationError(str(error)) from None

    def clean_name(self) -> str:
        return self._cell(clean_name, "name")

    def _kept(self, name: str, mask) -> str | None:
        stored = self.keep.get(name)
        if stored and normalise_text(self.cleaned_data[name]) == mask(stored):
            return stored
        return None

    def clean_id_number(self) -> str:
        return self._kept("id_number", mask_id) or self._cell(clean_id_number, "id_number")

    def clean_phone(self) -> str:
        return self._kept("phone", mask_phone) or self._cell(clean_phone, "phone")

    def resident_data(self) -> ResidentData:
        d = self.cleaned_data
        text = {k: normalise_text(d[k]) for k in ("estate", "building", "unit", "room", "ethnicity", "note")}
        return ResidentData(
            name=d["name"],
            id_number=d["id_number"],
            grid=d["grid"],
            phone=d["phone"],
            relation=d["relation"],
            residence_type=d["residence_type"],
            political_status=d["political_status"],
            tags=list(d["tags"]),
            **text,
        )

    @staticmethod
    def initial_for(resident: Resident, *, masked: bool) -> dict[str, Any]:
        """The form shows what the resident page shows: masked unless the user may see the values."""
        h = resident.household
        return {
            "name": resident.name,
            "id_number": mask_id(resident.id_number) if masked else resident.id_number,
            "phone": mask_phone(resident.phone) if masked else resident.phone,
            "grid": resident.grid_id,
            "estate": h.estate,
            "building": h.building,
            "unit": h.unit,
            "room": h.room,
            "relation": resident.relation,
            "residence_type": resident.residence_type,
            "ethnicity": resident.ethnicity,
            "political_status": resident.political_status,
            "tags": list(resident.tags.all()),
            "note": resident.note,
        }


class MoveOutForm(BootstrapForm):
    moved_out_on = forms.DateField(label=_("Moved out on"), widget=DateInput())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["moved_out_on"].initial = timezone.localdate()

    def clean_moved_out_on(self):
        value = self.cleaned_data["moved_out_on"]
        if value > timezone.localdate():
            raise forms.ValidationError(_("The move-out date cannot be in the future."))
        return value


class ResidentFilterForm(forms.Form):
    """Reads the list's query string; anything malformed is ignored, never an error page."""

    q = forms.CharField(required=False, max_length=40)
    grid = forms.IntegerField(required=False, min_value=1)
    building = forms.CharField(required=False, max_length=32)
    tag = forms.IntegerField(required=False, min_value=1)
    residence_type = forms.ChoiceField(required=False, choices=[("", ""), *Resident.ResidenceType.choices])
    age_min = forms.IntegerField(required=False, min_value=0, max_value=150)
    age_max = forms.IntegerField(required=False, min_value=0, max_value=150)
    moved_out = forms.ChoiceField(required=False, choices=[("no", ""), ("yes", ""), ("all", "")])

    def to_filter(self) -> ResidentFilter:
        self.is_valid()
        d = {k: v for k, v in self.cleaned_data.items() if k not in self.errors}
        return ResidentFilter(
            q=d.get("q") or "",
            grid_id=d.get("grid"),
            building=normalise_text(d.get("building") or ""),
            tag_id=d.get("tag"),
            residence_type=d.get("residence_type") or "",
            age_min=d.get("age_min"),
            age_max=d.get("age_max"),
            moved_out=d.get("moved_out") or "no",
        )
