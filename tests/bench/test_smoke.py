"""The benchmark in miniature (every scenario kind with tiny numbers:
fixed loads 1 and 3, 2b with site sockets, the connect storm, the filling
room, idle sockets and the rolling restart, against our server and the
ceiling where it applies), so that `make bench` cannot rot."""

from __future__ import annotations

import pytest

from bench.runner import Bench, smoke_specs


def check_fixed(run: dict, per_room: int, where: str) -> None:
    assert run["sent"] > 0, where
    assert run["expected"] == run["sent"] * per_room, where
    assert run["received"] == run["expected"], where
    assert run["lost"] == 0, where
    assert run["duplicates"] == 0, where
    assert run["unrepaired_gaps"] == 0, where
    assert run["p50_ms"] is not None, where


def check_activity(run: dict, per_room: int, where: str) -> None:
    """Every message reached every other member's site socket, once."""
    assert run["join_failed"] == 0, where
    assert run["activity_expected"] == run["acked"] * (per_room - 1), where
    assert run["activity_received"] == run["activity_expected"], where
    assert run["activity_lost"] == run["activity_duplicates"] == 0, where


def check_crowd(run: dict, sockets: int, where: str) -> None:
    assert run["connections_ok"] == sockets, where
    assert run["timeline"][-1][1] == sockets, where
    if run["server"] == "ours":
        exact, checked = run["presence_exact"]
        assert exact == checked == sockets, where
        assert run["online_while_open"] == sockets, where
        assert run["online_after_close"] == 0, where
        assert run["presence_zero_after_s"] is not None, where


def check_restart(run: dict, where: str) -> None:
    assert run["acked"] > 0, where
    assert run["lost"] == 0, where
    assert run["duplicates"] == 0, where
    assert run["unrepaired_gaps"] == 0, where
    assert len(run["restarts"]) == 2, where
    for restart in run["restarts"]:
        assert restart["all_back_after_s"] is not None, (where, restart)


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_smoke_scenarios_lose_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("BENCH_VAR", str(tmp_path))
    specs = smoke_specs()
    results = Bench(specs=specs, profile=False, users=40, rooms=3).run()

    by_key = {spec.key: spec for spec in specs}
    assert [e["key"] for e in results["scenarios"]] == list(by_key)
    for entry in results["scenarios"]:
        spec = by_key[entry["key"]]
        servers = {run["server"] for run in entry["runs"]}
        assert servers == ({"ours", "ceiling"} if spec.ceiling else {"ours"})
        for run in entry["runs"]:
            where = f"scenario {spec.key} {run['server']} round {run['round']}"
            assert run["connections_failed"] == 0, (where, run.get("connect_failures"))
            assert run["unexpected_closes"] == {}, where
            if spec.kind == "fixed":
                check_fixed(run, spec.params["per_room"], where)
                if spec.params.get("site"):
                    check_activity(run, spec.params["per_room"], where)
            elif spec.kind == "crowd":
                check_crowd(run, spec.params["sockets"], where)
            elif spec.kind == "restart":
                check_restart(run, where)
        if spec.ceiling:
            assert entry["medians"]["ratio"], spec.key
