"""The benchmark in miniature (scenarios 1 and 3, 3 clients a room, 1.5 s,
against our server and the ceiling), so that `make bench` cannot rot."""

from __future__ import annotations

import pytest

from bench.runner import Bench, smoke_specs


@pytest.mark.slow
@pytest.mark.timeout(180)
def test_smoke_scenarios_lose_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("BENCH_VAR", str(tmp_path))
    results = Bench(specs=smoke_specs(), profile=False, users=20, rooms=3).run()

    runs = [run for entry in results["scenarios"] for run in entry["runs"]]
    assert {run["server"] for run in runs} == {"ours", "ceiling"}
    for run in runs:
        where = f"scenario run {run['server']} round {run['round']}"
        assert run["connections_failed"] == 0, (where, run["connect_failures"])
        assert run["sent"] > 0, where
        assert run["expected"] == run["sent"] * 3, where
        assert run["received"] == run["expected"], where
        assert run["lost"] == 0, where
        assert run["duplicates"] == 0, where
        assert run["unrepaired_gaps"] == 0, where
        assert run["unexpected_closes"] == {}, where
        assert run["p50_ms"] is not None, where
    assert all(entry["medians"]["ratio"] for entry in results["scenarios"])
