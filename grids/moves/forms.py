"""Move request forms: validate and normalise input, never write."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from grids import access
from grids.residents.cleaning import CellError, clean_id_number, normalise_text
from grids.shared.forms import BootstrapForm


class MoveRequestForm(BootstrapForm):
    id_number = forms.CharField(label=_("ID number"), max_length=40)
    to_grid = forms.ModelChoiceField(label=_("Move into grid"), queryset=None)
    estate = forms.CharField(label=_("Estate"), max_length=64, required=False)
    building = forms.CharField(label=_("Building"), max_length=32, required=False)
    unit = forms.CharField(label=pgettext_lazy("address", "Unit"), max_length=16, required=False)
    room = forms.CharField(label=_("Room"), max_length=16, required=False)
    reason = forms.CharField(
        label=_("Reason"),
        max_length=200,
        required=False,
        help_text=_("For example: moved into 3栋201 in March, confirmed on a visit."),
    )

    def __init__(self, *args: Any, by: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["to_grid"].queryset = (
            access.visible_grids(by, access.CHANGE).select_related("community").order_by("code")
        )
        self.fields["to_grid"].label_from_instance = lambda g: f"{g.community.name} · {g.name}"
        self.fields["id_number"].widget.attrs.update({"autocomplete": "off"})

    def clean_id_number(self) -> str:
        try:
            return clean_id_number(self.cleaned_data["id_number"])
        except CellError as error:
            raise forms.ValidationError(str(error)) from None

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        for name in ("estate", "building", "unit", "room", "reason"):
            data[name] = normalise_text(data.get(name) or "")
        return data


class DecisionForm(BootstrapForm):
    note = forms.CharField(label=_("Note"), max_length=200, required=False, widget=forms.Textarea(attrs={"rows": 2}))
