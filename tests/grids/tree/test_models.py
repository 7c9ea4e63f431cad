"""Node validation: codes, names, household targets and boundaries."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from grids.models import Community, Grid
from grids.tree.forms import GridForm
from grids.tree.validators import validate_boundary, validate_code, validate_name

SQUARE = [[[113.0, 23.0], [113.1, 23.0], [113.1, 23.1], [113.0, 23.0]]]


@pytest.mark.parametrize("code", ["440104001001", "G-01", "d_pcs", "A"])
def test_valid_codes(code):
    validate_code(code)


@pytest.mark.parametrize("code", ["", "-G01", "网格01", "G 01", "x" * 33, "G/01"])
def test_invalid_codes(code):
    with pytest.raises(ValidationError):
        validate_code(code)


@pytest.mark.parametrize("name", ["", "   ", " 东风社区", "东风社区 ", "东风\u200b社区", "东风\n社区"])
def test_invalid_names(name):
    with pytest.raises(ValidationError):
        validate_name(name)


@pytest.mark.parametrize(
    "value",
    [
        {"type": "Polygon", "coordinates": SQUARE},
        {"type": "MultiPolygon", "coordinates": [SQUARE]},
        {"type": "Feature", "properties": {}, "geometry": {"type": "Polygon", "coordinates": SQUARE}},
        None,
    ],
)
def test_valid_boundaries(value):
    validate_boundary(value)


@pytest.mark.parametrize(
    "value",
    [
        {"type": "Point", "coordinates": [113, 23]},
        {"type": "Polygon", "coordinates": []},
        {"type": "Polygon", "coordinates": [[[113, 23], [114, 23], [113, 23]]]},
        {"type": "Polygon", "coordinates": [[[113, 23], [114, 23], [114, 24], [113, 25]]]},
        {"type": "Polygon", "coordinates": [[[200, 23], [114, 23], [114, 24], [200, 23]]]},
        {"type": "Polygon", "coordinates": [[["a", 23], [114, 23], [114, 24], ["a", 23]]]},
        {"type": "MultiPolygon", "coordinates": "x"},
        [1, 2, 3],
        "polygon",
    ],
)
def test_invalid_boundaries(value):
    with pytest.raises(ValidationError):
        validate_boundary(value)


def test_codes_are_unique_across_the_tree(tree):
    with pytest.raises(IntegrityError), transaction.atomic():
        Grid.objects.create(community=tree.c1, code="G11", name="另一个网格")


def test_names_are_unique_within_the_parent_only(tree):
    Grid.objects.create(community=tree.c2, code="G22", name="东风第一网格")  # same name, other community
    with pytest.raises(IntegrityError), transaction.atomic():
        Community.objects.create(street=tree.s1, code="C9", name="东风社区")


def test_household_target_must_be_positive(tree):
    with pytest.raises(IntegrityError), transaction.atomic():
        Grid.objects.filter(pk=tree.g11.pk).update(household_target=0)


def test_grid_form_folds_full_width_characters_and_spaces():
    form = GridForm({"name": "  东风第１网格Ａ ", "kind": "comprehensive", "household_target": "300", "boundary": ""})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["name"] == "东风第1网格A"
    assert form.cleaned_data["boundary"] is None
