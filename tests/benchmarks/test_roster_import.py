"""benchmarks/roster_import.py --small: a generated roster is imported twice by the portal and once by
django-import-export's default resource, and the throughputs and their ratio are printed."""

from __future__ import annotations

import json
import re

from tests.benchmarks.conftest import run_small
from tests.conftest import need_service


def _figures(output: list[str], start: str) -> dict:
    (line,) = [line for line in output if line.startswith(start)]
    return json.loads(line.split(":", 1)[1])


def test_small_mode_imports_and_prints_throughputs(bench_database, tmp_path):
    need_service("PostgreSQL (the benchmark measures COPY)", bench_database.postgresql)
    output = run_small("roster_import.py", tmp_path, bench_database)
    first = _figures(output, "portal import, new rows:")
    again = _figures(output, "portal import, same file again:")
    base = _figures(output, "import-export default ModelResource (50 rows):")
    assert (first["rows"], first["new"], first["rejected"]) == (300, 300, 0)
    assert (again["rows"], again["unchanged"], again["new"]) == (300, 300, 0)
    assert (base["rows"], base["new"]) == (50, 50)
    for figures in (first, again, base):
        assert figures["seconds"] > 0 and figures["rows_per_s"] > 0 and figures["peak_mb"] > 0
    (ratio,) = [line for line in output if line.startswith("speed-up over the default configuration:")]
    assert re.fullmatch(r".*: [\d.]+× \(new rows\), [\d.]+× \(unchanged rows\)", ratio)
