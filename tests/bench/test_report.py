"""RESULTS.md's line for the cost of server WebSocket pings (scenario 11,
pings at their defaults, against 11b, pings off)."""

from __future__ import annotations

import os
import subprocess
import sys

from bench import report_connect
from bench.specs import full_specs, smoke_specs
from tests.helpers.servers import BASE_DIR


def crowd(idle_pct: float, sockets: int = 10000) -> dict:
    return {
        "server": "ours",
        "connections_ok": sockets,
        "idle_s": 25,
        "idle_cpu_pct": {"server": idle_pct, "redis": 0.5},
        "connect_s": 30.0,
        "online_while_open": sockets,
        "online_after_close": 0,
    }


def test_the_default_ping_interval_is_the_settings_default():
    # A fresh interpreter: the suite's own environment may set it.
    env = {k: v for k, v in os.environ.items() if not k.startswith("WS_PING")}
    env["DJANGO_SETTINGS_MODULE"] = "project.settings"
    env.setdefault("SECRET_KEY", "x" * 50)
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; "
            "print(settings.WS_PING_INTERVAL)",
        ],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert int(out.stdout.strip()) == report_connect.DEFAULT_PING_S


def test_ping_cost_compares_11_with_11b():
    by_key = {
        "11": {"env": {}, "runs": [crowd(9.0)]},
        "11b": {"env": {"WS_PING_INTERVAL": "0"}, "runs": [crowd(4.0)]},
    }
    line = report_connect.ping_cost(by_key)
    # 10,000 sockets every 8 s: 1,250 pings/s for 5 points of a core.
    assert line == (
        "9.0% of a core with pings every 8 s, 4.0% with none (10,000 sockets, "
        "25 s idle): 5.0 points for 1,250 pings/s, about 40.0 µs of CPU each"
    )
    rows = []
    report_connect.target_rows(by_key, lambda *cells: rows.append(cells))
    assert ("11 / 11b. server WebSocket pings, idle", "measured", line, None) in rows


def test_noise_is_not_reported_as_a_negative_cost():
    by_key = {"11": {"runs": [crowd(0.0, 30)]}, "11b": {"runs": [crowd(1.0, 30)]}}
    assert report_connect.ping_cost(by_key).endswith(
        "no cost that this run could measure"
    )


def test_without_both_runs_there_is_no_line():
    assert report_connect.ping_cost({"11": {"runs": [crowd(9.0)]}}) is None


def test_11b_is_11_with_pings_off_in_both_sizes():
    for specs in (full_specs(), smoke_specs()):
        by_key = {spec.key: spec for spec in specs}
        assert by_key["11b"].params == by_key["11"].params
        assert by_key["11b"].env == {"WS_PING_INTERVAL": "0"}
        assert by_key["11"].env == {}
        assert by_key["11"].params["idle_s"] > 0
    assert {s.key: s for s in full_specs()}["11"].params["idle_s"] >= 20
