"""deploy/'s files are the ones `make cluster` runs: the same settings, only
addresses (and the demo's short down-after) changed."""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from devserver import cluster
from devserver.haproxy import CONFIG, HAProxy, find_haproxy, server_lines
from devserver.redisha import DEPLOY, render

BASE_DIR = Path(__file__).resolve().parents[2]


def test_the_systemd_unit_runs_what_make_cluster_runs():
    unit = (BASE_DIR / "deploy" / "systemd" / "chat@.service").read_text()
    (line,) = [x for x in unit.splitlines() if x.startswith("ExecStart=")]
    command = shlex.split(line.removeprefix("ExecStart="))
    assert command[0] == "/srv/chat/.venv/bin/python"
    assert command[1:] == cluster.SERVER_COMMAND[1:]
    assert cluster.SERVER_COMMAND[0] == sys.executable


def test_render_changes_only_the_directives_given():
    text = (DEPLOY / "sentinel.conf").read_text()
    rendered = render(
        text,
        {"port": "26390", "sentinel monitor mymaster": "127.0.0.1 7001 2", "dir": "/x"},
    )
    changed = set(rendered.splitlines()) ^ set(text.splitlines())
    assert changed == {
        "port 26379", "port 26390",
        "sentinel monitor mymaster 127.0.0.1 6379 2",
        "sentinel monitor mymaster 127.0.0.1 7001 2",
        "dir /x",
    }  # fmt: skip
    # The monitor line stays first of the master's lines, as Sentinel needs.
    lines = rendered.splitlines()
    assert lines.index("sentinel monitor mymaster 127.0.0.1 7001 2") < min(
        i for i, x in enumerate(lines) if x.startswith("sentinel down-after")
    )


@pytest.mark.parametrize("count", [1, 3, 5])
def test_haproxy_gets_one_server_line_per_process(count):
    rendered = server_lines(CONFIG.read_text(), count)
    servers = [
        x.split()[1] for x in rendered.splitlines() if x.strip().startswith("server ")
    ]
    assert servers == [f"app{n}" for n in range(1, count + 1)]
    if count == 3:  # the file itself, unchanged but for where the lines sit
        assert sorted(rendered.split()) == sorted(CONFIG.read_text().split())


def test_haproxy_accepts_the_file(tmp_path):
    try:
        haproxy = find_haproxy()
    except RuntimeError as error:
        pytest.skip(str(error))
    proxy = HAProxy(tmp_path, 18000, [18001, 18002, 18003])
    proxy.config.write_text(server_lines(CONFIG.read_text(), 3))
    check = subprocess.run(
        [haproxy, "-c", "-f", str(proxy.config)],
        env=proxy.env(), capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert check.returncode == 0, check.stderr
