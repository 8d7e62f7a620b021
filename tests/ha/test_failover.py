"""Failover tests (issue 16): the real cluster (three Redis, three Sentinels,
three chat servers, HAProxy), clients through HAProxy sending at a steady
rate, one fault per test, then the invariants (tests/ha/scenario.py):

- every message the server acknowledged is stored exactly once;
- every client, after repair, holds seq 1..N of its room, each once;
- presence equals the live sockets within PRESENCE_TTL + PRESENCE_HEARTBEAT
  + failover time;
- /healthz is 200 again on every process;
- no socket is deaf: each receives a final message.

Each prints a RECOVERY line with the time each recovery took.
"""

from __future__ import annotations

import asyncio
import signal
import time

import pytest

from devserver.cluster import Cluster
from devserver.redisha import Node, RedisHA
from tests.ha.conftest import FAULTS
from tests.ha.scenario import Scenario

pytestmark = [
    pytest.mark.ha,
    pytest.mark.django_db(transaction=True),
    pytest.mark.timeout(300),
]


@pytest.fixture
async def scenario(healed: Cluster, make_user):
    running = Scenario(healed, make_user)
    await running.start()
    yield running
    await running.stop()


async def off_loop(function, *args):
    return await asyncio.get_running_loop().run_in_executor(FAULTS, function, *args)


def new_master(redis: RedisHA, old: Node, timeout: float = 30) -> float:
    """Seconds until the Sentinels name another master than `old`."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        try:
            if redis.master() is not old:
                return time.monotonic() - started
        except RuntimeError:
            pass
        time.sleep(0.05)
    raise AssertionError("no failover")


async def run(scenario: Scenario, name: str, inject) -> None:
    started = time.monotonic()
    timings = await scenario.fault(name, inject)
    print(timings.line())
    for when, slug, ghosts, missing in scenario.wrong:
        print(f"  presence wrong at +{when - started:.1f}s in {slug}: "
              f"ghosts {ghosts or '-'}, missing {missing or '-'}")  # fmt: skip


async def test_master_sigkilled(scenario: Scenario, healed: Cluster):
    async def inject() -> float:
        old = healed.redis.master()
        old.kill()
        return await off_loop(new_master, healed.redis, old)

    await run(scenario, "master SIGKILL", inject)


async def test_sentinel_failover(scenario: Scenario, healed: Cluster):
    async def inject() -> float:
        old = healed.redis.master()
        with healed.redis.sentinels[0].client() as client:
            client.execute_command("SENTINEL", "FAILOVER", healed.redis.master_name)
        return await off_loop(new_master, healed.redis, old)

    await run(scenario, "SENTINEL FAILOVER", inject)


async def test_master_sigstopped_past_down_after(scenario: Scenario, healed: Cluster):
    async def inject() -> float:
        old = healed.redis.master()
        old.signal(signal.SIGSTOP)
        took = await off_loop(new_master, healed.redis, old)
        # Back after the failover: a stale master that still takes writes
        # from whoever stayed connected, until the Sentinels demote it.
        await asyncio.sleep(max(0.0, 5 - took))
        old.signal(signal.SIGCONT)
        return took

    await run(scenario, "master SIGSTOP 5 s", inject)


async def test_pubsub_clients_killed_on_the_master(scenario: Scenario, healed: Cluster):
    async def inject() -> float:
        with healed.redis.master().client() as client:
            killed = client.client_kill_filter(_type="pubsub")
        assert killed >= len(healed.servers)  # each process's subscriber
        return 0.0

    await run(scenario, "CLIENT KILL TYPE pubsub", inject)


async def test_one_chat_server_sigkilled(scenario: Scenario, healed: Cluster):
    victim = max(healed.servers, key=lambda s: s.n)

    async def inject() -> float:
        victim.process.kill()
        victim.process.wait()
        await asyncio.sleep(2)  # systemd's Restart=always, RestartSec=1
        await off_loop(victim.start)
        return 0.0

    await run(scenario, "one uvicorn SIGKILL", inject)


async def test_all_of_redis_down_10s(scenario: Scenario, healed: Cluster):
    async def inject() -> float:
        started = time.monotonic()
        for node in healed.redis.nodes:
            node.kill()
        await asyncio.sleep(10)
        await off_loop(healed.redis.heal)
        return time.monotonic() - started

    await run(scenario, "all Redis down 10 s", inject)


async def test_rolling_restart_of_every_chat_server(
    scenario: Scenario, healed: Cluster
):
    async def inject() -> float:
        # Each in turn: drained at HAProxy, SIGTERM (its sockets close with
        # 1012 and come back through HAProxy to the others), started, ready.
        await off_loop(healed.rolling_restart)
        return 0.0

    await run(scenario, "rolling restart (SIGTERM, 1012)", inject)
    codes = [code for client in scenario.clients for code in client.close_codes]
    assert codes and set(codes) == {1012}, codes
