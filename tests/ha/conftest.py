"""The failover suite (`pytest -m ha`, `make test-ha`, run by .ci/run): one
real cluster for the whole suite, as `make cluster` runs it (devserver.cluster),
on the suite's test database, with short timings; each test injects one
fault and the cluster is healed before the next.

Skipped, with the sentence of scripts/ensure-cluster-packages, only when
haproxy or redis-server can neither be found nor installed.
"""

from __future__ import annotations

import logging
import subprocess
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from devserver.cluster import Cluster
from devserver.localredis import free_port
from tests.helpers.servers import database_url_for_tests

BASE_DIR = Path(__file__).resolve().parents[2]

# Short, so that a fault and its recovery take seconds.
ENV = {
    "DJANGO_SETTINGS_MODULE": "tests.settings",
    "PRESENCE_TTL": "4",
    "PRESENCE_HEARTBEAT": "1",
    "PUBSUB_CANARY_INTERVAL": "1",
    "PUBSUB_CANARY_TIMEOUT": "1.5",
    "CHAT_RATE_LIMIT": "1000/1",
    "LOG_LEVEL": "WARNING",
}


# Redis and HAProxy die with the thread that started them (PR_SET_PDEATHSIG,
# devserver.localredis), so faults that (re)start them run on this one
# thread, which lives as long as the suite, never on a test's executor.
FAULTS = ThreadPoolExecutor(max_workers=1, thread_name_prefix="faults")


@pytest.fixture(scope="session", autouse=True)
def _quiet_http_logs() -> None:
    # httpx logs every request at INFO: the monitor's polling would drown
    # the RECOVERY lines.
    logging.getLogger("httpx").setLevel(logging.WARNING)


@pytest.fixture(scope="session")
def cluster(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[Cluster]:
    found = subprocess.run(
        ["bash", str(BASE_DIR / "scripts" / "ensure-cluster-packages")],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    if found.returncode != 0:
        pytest.skip(found.stderr.strip().splitlines()[-1])
    with django_db_blocker.unblock():
        url = database_url_for_tests()
    running = Cluster(
        tmp_path_factory.mktemp("cluster"),
        port=free_port(),
        database_url=url,
        env=ENV,
    ).start()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def healed(cluster: Cluster) -> Iterator[Cluster]:
    """The cluster, healthy before the test and healed after it."""
    heal(cluster)
    yield cluster
    heal(cluster)


def heal(cluster: Cluster) -> None:
    cluster.redis.heal()
    for server in cluster.servers:
        if not server.alive:
            server.start()
        cluster.haproxy.set_state(server.n, "ready")
    cluster.wait_balanced(60)
