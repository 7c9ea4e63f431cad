"""Ids beyond the database's integer range match nothing, on SQLite as on PostgreSQL:
filters, forms and the admin answer with an empty list or a form error, not a server error."""

from __future__ import annotations

from django.test import Client

from governance.models import Event
from grids.models import Grid, PopulationTag, Resident

HUGE = 99999999999999999999999


def test_filters_on_ids_beyond_64_bits_match_nothing(db, tree):
    assert list(Grid.objects.filter(pk__in=[HUGE, -HUGE])) == []
    assert [g.pk for g in Grid.objects.filter(pk__in=[HUGE, tree.g11.pk])] == [tree.g11.pk]
    assert list(Event.objects.filter(grid_id=HUGE)) == []
    assert list(Event.objects.filter(grid__in=[HUGE])) == []
    assert list(Resident.objects.filter(tags__in=[-HUGE])) == []
    assert Grid.objects.filter(community_id=tree.c1.pk).exclude(pk__in=[HUGE]).count() == 2


def test_pages_and_forms_answer_ids_beyond_64_bits_without_a_server_error(db, tree, root):
    client = Client(raise_request_exception=True)
    client.force_login(root)
    for url in (
        f"/grids/?community={HUGE}",
        f"/events/?category={HUGE}&grid={HUGE}",
        f"/events/duplicates/?grid={HUGE}&category={HUGE}&address=x",
        f"/events/residents/?grid={HUGE}&resident_q=x&residents={HUGE}",
        f"/residents/?grid={HUGE}&tag={HUGE}",
        f"/residents/export.xlsx?grid={HUGE}",
    ):
        assert client.get(url).status_code == 200, url
    # Its own tag: a transactional test elsewhere may have emptied the ones a migration adds.
    tag = PopulationTag.objects.create(name="测试标签")
    response = client.post(
        "/residents/new/",
        {"name": "张三", "id_number": "11010519491231002X", "grid": tree.g11.pk, "tags": [tag.pk, HUGE]},
    )
    assert response.status_code == 200 and "is-invalid" in response.content.decode()
