"""benchmarks/resident_list.py --small: every URL of the resident list answers and its figures are printed."""

from __future__ import annotations

import re

from tests.benchmarks.conftest import run_small

LINE = re.compile(
    r"^(?P<url>/residents/\S*)\s+queries=\s*(?P<queries>\d+)"
    r"\s+median=\s*(?P<median>[\d.]+) ms\s+p95=\s*(?P<p95>[\d.]+) ms$"
)


def test_small_mode_prints_queries_and_times_of_every_url(bench_database, tmp_path):
    output = run_small("resident_list.py", tmp_path, bench_database)
    (count,) = [int(line.rsplit(":", 1)[1]) for line in output if line.startswith("residents in the database:")]
    assert count > 0
    rows = [match for line in output if (match := LINE.match(line))]
    assert len(rows) == 8, output
    assert len({row["url"] for row in rows}) == 8
    for row in rows:
        assert int(row["queries"]) > 0
        assert 0 < float(row["median"]) <= float(row["p95"])
