"""benchmarks/throughput.py --small: the portal under gunicorn and a one-view app on loopback both
answer every request, and requests/s, p95 and the ratio are printed for each page and persona."""

from __future__ import annotations

import importlib.util
import re

from tests.benchmarks.conftest import run_small
from tests.conftest import need_service

LINE = re.compile(
    r"^(?P<name>.+?)\s+(?P<rate>[\d.]+) req/s\s+median=\s*(?P<median>[\d.]+) ms\s+p95=\s*(?P<p95>[\d.]+) ms"
    r"(?:\s+(?P<share>[\d.]+)% of the one-view app)?$"
)


def test_small_mode_prints_rate_and_p95_of_every_page_for_both_personas(bench_database, tmp_path):
    need_service("gunicorn", importlib.util.find_spec("gunicorn") is not None)
    output = run_small("throughput.py", tmp_path, bench_database)
    rows = {match["name"]: match for line in output if (match := LINE.match(line))}
    pages = ["home", "resident list", "event list", "an event", "to do"]
    expected = ["one-view app"] + [f"{role}, {page}" for role in ("street official", "grid worker") for page in pages]
    assert list(rows) == expected, output
    assert rows["one-view app"]["share"] is None
    for name, row in rows.items():
        assert float(row["rate"]) > 0 and 0 < float(row["median"]) <= float(row["p95"]), name
        if name != "one-view app":
            assert float(row["share"]) > 0
