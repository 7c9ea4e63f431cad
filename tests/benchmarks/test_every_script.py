"""Every script under benchmarks/ has a small mode and a test here that runs it, so none can stop
working unnoticed."""

from __future__ import annotations

from tests.benchmarks.conftest import ROOT


def test_every_benchmark_has_a_small_mode_and_a_test_that_runs_it():
    scripts = sorted(path for path in (ROOT / "benchmarks").glob("*.py"))
    assert scripts
    for script in scripts:
        assert '"--small"' in script.read_text(encoding="utf-8"), f"{script.name} has no --small mode"
        test = ROOT / "tests" / "benchmarks" / f"test_{script.name}"
        assert test.exists(), f"{script.name} has no test in tests/benchmarks/"
        assert f'run_small("{script.name}"' in test.read_text(encoding="utf-8"), f"{test.name} does not run it"
