"""The visit form: validate and normalise input, never write."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from grids.photos import PhotosField
from grids.shared.forms import BootstrapForm, DateInput
from grids.visits.models import Visit


class VisitForm(BootstrapForm):
    visited_on = forms.DateField(label=_("Visited on"), widget=DateInput)
    kind = forms.ChoiceField(label=_("Kind of visit"), choices=())
    findings = forms.CharField(
        label=_("Findings"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 4})
    )
    photos = PhotosField(label=_("Photos (up to 9)"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = Visit.Kind.choices
        self.fields["visited_on"].initial = timezone.localdate()
