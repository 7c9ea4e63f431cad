"""A person's name is 姓名; the name of a grid, community or tag is 名称."""

from __future__ import annotations

from django.utils import translation

from grids.models import Grid, PopulationTag, Resident


def test_model_labels_tell_a_persons_name_from_a_units():
    with translation.override("zh-hans"):
        assert str(Resident._meta.get_field("name").verbose_name) == "姓名"
        assert str(Grid._meta.get_field("name").verbose_name) == "名称"
        assert str(PopulationTag._meta.get_field("name").verbose_name) == "名称"


def test_resident_form_and_list_say_姓名(client, personas):
    client.force_login(personas["street_admin"])
    form = client.get("/residents/new/").content.decode()
    assert "姓名" in form and "名称" not in form
    listing = client.get("/residents/").content.decode()
    assert '<th scope="col">姓名</th>' in listing
