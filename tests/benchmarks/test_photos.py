"""benchmarks/photos.py --small: every case runs in its own process and prints time and memory."""

from __future__ import annotations

import re

from grids import photos
from tests.benchmarks.conftest import run_small

LINE = re.compile(
    r"^(?P<name>.+?)\s+(?P<count>\d) × (?P<w>\d+)×(?P<h>\d+) .*?(?P<seconds>[\d.]+) s\s+"
    r"memory added\s+(?P<mb>[\d.]+) MB .* stored (?P<stored>\d+x\d+)$"
)


def test_small_mode_prints_time_and_memory_of_every_case(tmp_path):
    output = run_small("photos.py", tmp_path)
    rows = [LINE.match(text) for text in output]
    assert len(rows) == 5 and all(rows), output
    assert {int(row["count"]) for row in rows} == {1, 9}
    for row in rows:
        assert float(row["seconds"]) > 0 and float(row["mb"]) >= 0
        assert max(map(int, row["stored"].split("x"))) <= photos.LONG_SIDE
