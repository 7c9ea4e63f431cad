"""COPY inserts and the background writer that overlaps them with reading the next batch."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction

from grids.models import Household, PopulationTag
from grids.roster import bulk
from tests.conftest import need_service


def _households(grid, rooms):
    return [
        {"grid_id": grid.pk, "estate": "测试小区", "building": "1", "unit": "1", "room": room, "household_no": ""}
        for room in rooms
    ]


@pytest.mark.django_db
def test_insert_rows_returns_keys_in_order_and_stamps_times(tree):
    ids = bulk.insert_rows(Household, _households(tree.g11, ["101", "102\t3", "10\\4"]))
    rooms = dict(Household.objects.filter(pk__in=ids).values_list("pk", "room"))
    assert [rooms[pk] for pk in ids] == ["101", "102\t3", "10\\4"]
    assert not Household.objects.filter(pk__in=ids, created_at__isnull=True).exists()


@pytest.mark.django_db
def test_insert_rows_refuses_rows_that_do_not_match_the_table(tree):
    with pytest.raises(ValueError, match="lack"):
        bulk.insert_rows(PopulationTag, [{"name": "独居老人"}])
    with pytest.raises(ValueError, match="unknown"):
        bulk.insert_rows(Household, [{**_households(tree.g11, ["1"])[0], "colour": "red"}])


@pytest.mark.django_db(transaction=True)
def test_writer_stores_queued_rows_before_the_transaction_ends(tree):
    need_service("PostgreSQL", connection.vendor == "postgresql")
    with transaction.atomic(), bulk.Writer() as writer:
        first = bulk.insert_rows(Household, _households(tree.g11, ["201", "202"]), writer)
        writer.start()
        # A query waits for the COPY running in the background, then sees its rows.
        assert Household.objects.filter(pk__in=first).count() == 2
        second = bulk.insert_rows(Household, _households(tree.g11, ["203"]), writer)
    assert Household.objects.filter(pk__in=first + second).count() == 3


@pytest.mark.django_db(transaction=True)
def test_a_failed_background_copy_fails_the_next_query_and_nothing_is_kept(tree):
    need_service("PostgreSQL", connection.vendor == "postgresql")
    before = Household.objects.count()
    with pytest.raises(IntegrityError), transaction.atomic(), bulk.Writer() as writer:
        # The same address twice breaks the household table's unique constraint.
        bulk.insert_rows(Household, _households(tree.g11, ["301", "301"]), writer)
        writer.start()
        Household.objects.count()
    assert Household.objects.count() == before


@pytest.mark.django_db(transaction=True)
def test_a_failed_background_copy_fails_on_leaving(tree):
    need_service("PostgreSQL", connection.vendor == "postgresql")
    before = Household.objects.count()
    with pytest.raises(IntegrityError), transaction.atomic(), bulk.Writer() as writer:
        bulk.insert_rows(Household, _households(tree.g11, ["401", "401"]), writer)
    assert Household.objects.count() == before
