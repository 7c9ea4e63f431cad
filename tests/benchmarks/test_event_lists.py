"""benchmarks/event_lists.py --small: synthetic events are loaded with COPY and every list and event
page answers for each persona, with its figures printed; rows are completed from the model's fields."""

from __future__ import annotations

import importlib.util
import re

import pytest

from governance.models import Event, EventStep
from tests.benchmarks.conftest import ROOT, run_small
from tests.conftest import need_service

LINE = re.compile(
    r"^  (?P<url>/events/\S*)\s+queries=\s*(?P<queries>\d+)"
    r"\s+median=\s*(?P<median>[\d.]+) ms\s+p95=\s*(?P<p95>[\d.]+) ms$"
)


def _script():
    spec = importlib.util.spec_from_file_location("event_lists", ROOT / "benchmarks" / "event_lists.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_small_mode_loads_events_and_prints_every_page_for_every_persona(bench_database, tmp_path):
    need_service("PostgreSQL (the benchmark loads with COPY)", bench_database.postgresql)
    output = run_small("event_lists.py", tmp_path, bench_database)
    (totals,) = [line for line in output if line.startswith("events: ")]
    events, steps = map(int, re.fullmatch(r"events: (\d+), timeline entries: (\d+)", totals).groups())
    assert events >= 300 and steps >= 3000
    personas = [line.removeprefix("as ").removesuffix(":") for line in output if line.startswith("as ")]
    assert personas == ["jiedao", "shuji1", "wangge1", "bumen1"]
    rows = [match for line in output if (match := LINE.match(line))]
    assert len(rows) == 4 * 7, output
    for row in rows:
        assert int(row["queries"]) > 0
        assert 0 < float(row["median"]) <= float(row["p95"])


def test_rows_get_every_column_they_do_not_set_from_the_model():
    given = {"description": "x", "grid_id": 1, "category_id": 2, "reported_by_id": 3, "stage_started_at": None}
    rows = _script().complete(Event, [given])
    (row,) = rows
    names = {f.attname for f in Event._meta.concrete_fields if not f.primary_key}
    assert names - {"reported_at", "updated_at"} <= row.keys()
    assert row["description"] == "x" and row["grid_id"] == 1
    assert row["merged_into_id"] is None and row["visit_id"] is None  # nullable
    assert row["status"] == Event.Status.REPORTED and row["version"] == 1  # defaults
    assert row["result"] == ""  # text without a default


def test_a_column_without_default_or_null_must_be_given():
    with pytest.raises(ValueError, match=r"EventStep rows need a value for \['event_id'"):
        _script().complete(EventStep, [{"action": "report"}])
