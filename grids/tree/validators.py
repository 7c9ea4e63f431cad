"""Validators for node names, codes and grid boundaries."""

from __future__ import annotations

import re
import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$")


def validate_code(value: str) -> None:
    if not CODE_RE.match(value or ""):
        raise ValidationError(
            _("A code is 1–32 letters, digits, '-' or '_', starting with a letter or digit."),
            code="invalid_code",
        )


def validate_name(value: str) -> None:
    text = value or ""
    if not text.strip():
        raise ValidationError(_("The name cannot be blank."), code="blank_name")
    if text != text.strip():
        raise ValidationError(_("The name cannot start or end with spaces."), code="name_spaces")
    if any(unicodedata.category(ch).startswith("C") for ch in text):
        raise ValidationError(_("The name contains control or invisible characters."), code="name_control")


def normalise_name(value: str) -> str:
    """NFKC folds full-width letters and digits that come from Chinese input methods."""
    return unicodedata.normalize("NFKC", value or "").strip()


_GEOMETRY_TYPES = {"Polygon", "MultiPolygon"}


def _check_position(position: object) -> None:
    if (
        not isinstance(position, list)
        or len(position) < 2
        or not all(isinstance(n, (int, float)) and not isinstance(n, bool) for n in position[:2])
    ):
        raise ValidationError(_("Each boundary point must be [longitude, latitude]."), code="bad_point")
    lon, lat = position[0], position[1]
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise ValidationError(_("A boundary point lies outside valid longitude/latitude."), code="bad_point")


def _check_polygon(rings: object) -> None:
    if not isinstance(rings, list) or not rings:
        raise ValidationError(_("A polygon needs at least one ring of points."), code="bad_polygon")
    for ring in rings:
        if not isinstance(ring, list) or len(ring) < 4:
            raise ValidationError(_("Each ring needs at least four points."), code="bad_polygon")
        for position in ring:
            _check_position(position)
        if ring[0][:2] != ring[-1][:2]:
            raise ValidationError(_("Each ring must end where it starts."), code="bad_polygon")


def validate_boundary(value: object) -> None:
    """Accept a GeoJSON Polygon/MultiPolygon geometry, or a Feature wrapping one."""
    if value in (None, ""):
        return
    geometry = value
    if isinstance(value, dict) and value.get("type") == "Feature":
        geometry = value.get("geometry")
    if not isinstance(geometry, dict) or geometry.get("type") not in _GEOMETRY_TYPES:
        raise ValidationError(_("The boundary must be a GeoJSON Polygon or MultiPolygon."), code="bad_geometry")
    coordinates = geometry.get("coordinates")
    if geometry["type"] == "Polygon":
        _check_polygon(coordinates)
    else:
        if not isinstance(coordinates, list) or not coordinates:
            raise ValidationError(_("A multipolygon needs at least one polygon."), code="bad_polygon")
        for polygon in coordinates:
            _check_polygon(polygon)
