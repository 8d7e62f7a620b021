"""One failover scenario: clients in two rooms through HAProxy, senders at
a steady rate, a fault, and then the invariants of issue 16, with the time
each recovery took."""

from __future__ import annotations

import asyncio
import collections
import contextlib
import itertools
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import httpx
from channels.db import database_sync_to_async

from devserver.cluster import Cluster
from tests.ha.harness import ChatClient, wait_until
from tests.helpers.sessions import asession_cookie_for

ROOMS = ("general", "ha-two")
CLIENTS_PER_ROOM = 4
SENDERS_PER_ROOM = 2
SEND_INTERVAL = 0.5  # seconds between two messages of one sender (8 msg/s in all)


@dataclass
class Timings:
    fault: str
    failover: float = 0.0  # until the Sentinels named a new master (Redis faults)
    acks: float = 0.0  # longest time without any acknowledged send
    healthz: float = 0.0  # until every process answered 200 again, for good
    presence: float = 0.0  # until presence equalled the live sockets, for good
    delivery: float = 0.0  # worst time from a send to its arrival everywhere
    notes: list[str] = field(default_factory=list)

    def line(self) -> str:
        return (
            f"RECOVERY {self.fault}: failover {self.failover:.1f}s, "
            f"acks resumed within {self.acks:.1f}s, healthz 200 on all after "
            f"{self.healthz:.1f}s, presence right after {self.presence:.1f}s, "
            f"worst delivery {self.delivery:.1f}s; " + "; ".join(self.notes)
        )


class Scenario:
    def __init__(self, cluster: Cluster, make_user: Callable) -> None:
        self.cluster = cluster
        self.make_user = make_user
        self.clients: list[ChatClient] = []
        self.senders: list[ChatClient] = []
        self.monitor_samples: list[tuple[float, bool, bool | None]] = []
        self.tasks: list[asyncio.Task] = []
        # (when, room, ghosts, missing) of every wrong presence answer
        self.wrong: list[tuple[float, str, set[int], set[int]]] = []
        self.sending = True
        self.ws_url = cluster.url.replace("http", "ws")

    async def start(self) -> None:
        from chat.models import Room

        def rooms() -> None:
            for slug in ROOMS:
                Room.objects.get_or_create(slug=slug, defaults={"name": slug})

        await database_sync_to_async(rooms)()
        for slug in ROOMS:
            for n in range(CLIENTS_PER_ROOM):
                name = f"{slug}-{n}"
                user = await database_sync_to_async(self.make_user)(name)
                key = await asession_cookie_for(user)
                client = ChatClient(name, user.id, key, slug, self.ws_url)
                client.start()
                self.clients.append(client)
                if n < SENDERS_PER_ROOM:
                    self.senders.append(client)
        await wait_until(
            lambda: all(c.connected.is_set() for c in self.clients), 30, "clients up"
        )
        self.tasks = [asyncio.ensure_future(self._send(c)) for c in self.senders]
        self.tasks.append(asyncio.ensure_future(self._monitor()))
        await asyncio.sleep(2)  # steady traffic before the fault

    async def _send(self, client: ChatClient) -> None:
        n = 0
        while self.sending:
            n += 1
            await client.send(f"{client.name} says {n}")
            await asyncio.sleep(SEND_INTERVAL)

    async def _monitor(self) -> None:
        """Every process's /healthz, and presence against the live sockets."""
        async with httpx.AsyncClient(timeout=2) as http:
            while True:
                healthy = True
                for server in self.cluster.servers:
                    try:
                        answer = await http.get(f"{server.url}/healthz")
                        healthy &= answer.status_code == 200
                    except httpx.HTTPError:
                        healthy = False
                right = await self._presence_right(http)
                self.monitor_samples.append((time.monotonic(), healthy, right))
                await asyncio.sleep(0.25)

    async def _presence_right(self, http: httpx.AsyncClient) -> bool | None:
        """Whether presence equals the live sockets; None when the API did
        not answer (Redis or every server down, or just slow): a missing
        answer says nothing about presence, a wrong one does."""
        for slug in ROOMS:
            members = [c for c in self.clients if c.slug == slug]
            try:
                answer = await http.get(
                    f"{self.cluster.url}/api/rooms/{slug}/presence/",
                    headers={"Cookie": f"sessionid={members[0].session_key}"},
                )
                if answer.status_code != 200:
                    return None
                present = {u["id"] for u in answer.json()["users"]}
            except (httpx.HTTPError, ValueError, KeyError):
                return None
            expected = {c.user_id for c in members}
            if present != expected:
                self.wrong.append((time.monotonic(), slug, present - expected,
                                   expected - present))  # fmt: skip
                return False
        return True

    async def fault(
        self, name: str, inject: Callable[[], Awaitable[object]]
    ) -> Timings:
        """Inject the fault; measure and check everything; the timings."""
        timings = Timings(name)
        fault_at = time.monotonic()
        result = await inject()
        if isinstance(result, float):
            timings.failover = result
        await asyncio.sleep(3)  # traffic after the fault
        await self._settle(timings, fault_at)
        return timings

    async def _settle(self, timings: Timings, fault_at: float) -> None:
        bound = 60
        # Everything sent is acknowledged in the end (retries with client_id).
        await wait_until(
            lambda: all(not c.unacked for c in self.senders), bound, "every send acked"
        )
        self.sending = False
        await asyncio.sleep(SEND_INTERVAL)
        await wait_until(
            lambda: all(not c.unacked for c in self.senders), bound, "last sends acked"
        )
        acks = sorted(
            s.acked_at for c in self.senders for s in c.sent.values() if s.acked_at
        )
        after = [a for a in acks if a >= fault_at - 1]
        timings.acks = max((b - a for a, b in itertools.pairwise(after)), default=0.0)
        # Healthy again on every process, and presence right, for good.
        await wait_until(self._healthy_now, bound, "/healthz 200 on every process")
        presence_bound = self._presence_bound(timings)
        await wait_until(
            lambda: self._right_since() is not None, presence_bound, "presence right"
        )
        timings.healthz = max(0.0, (self._healthy_since() or fault_at) - fault_at)
        timings.presence = max(0.0, (self._right_since() or fault_at) - fault_at)
        assert timings.presence <= presence_bound, (timings, self.wrong[-5:])
        await self.check_stored_once()
        await self.check_no_deaf_socket(timings)
        timings.delivery = self._worst_delivery(fault_at)
        repairs = sum(c.repairs for c in self.clients)
        reconnects = sum(c.reconnects for c in self.clients)
        codes = collections.Counter(
            code for c in self.clients for code in c.close_codes
        )
        timings.notes.append(
            f"{reconnects} reconnects (close codes {dict(codes)}), "
            f"{repairs} client repairs"
        )

    def _presence_bound(self, timings: Timings) -> float:
        env = self.cluster.extra_env
        ttl, beat = float(env["PRESENCE_TTL"]), float(env["PRESENCE_HEARTBEAT"])
        # The bound, from the fault, plus slack: the sampling, the
        # 3 s of traffic the scenario runs after the fault, and (SIGSTOP)
        # commands stuck on the stopped master until the canary's next tick
        # moves them to the new one; a loaded 2-core machine stretches it.
        return ttl + beat + timings.failover + 15

    def _healthy_now(self) -> bool:
        return bool(self.monitor_samples) and self.monitor_samples[-1][1]

    def _healthy_since(self) -> float | None:
        return _since(self.monitor_samples, 1)

    def _right_since(self) -> float | None:
        return _since(self.monitor_samples, 2)

    async def check_stored_once(self) -> None:
        """Every acknowledged message is stored exactly once; each room's
        seqs are 1..N; every client holds 1..N, each once."""
        from chat.models import Message, Room

        def stored() -> dict[str, list[tuple[int, str | None]]]:
            return {
                room.slug: list(
                    Message.objects.filter(room=room).values_list("seq", "client_id")
                )
                for room in Room.objects.filter(slug__in=ROOMS)
            }

        rows = await database_sync_to_async(stored)()
        for slug, messages in rows.items():
            seqs = sorted(seq for seq, _ in messages)
            assert seqs == list(range(1, len(seqs) + 1)), f"{slug}: seqs {seqs}"
            ids = [cid for _, cid in messages if cid]
            assert len(ids) == len(set(ids)), f"{slug}: a client_id stored twice"
            acked = {
                cid: s.seq
                for c in self.senders
                if c.slug == slug
                for cid, s in c.sent.items()
            }
            by_id = {cid: seq for seq, cid in messages if cid}
            assert acked == {cid: by_id.get(cid) for cid in acked}, f"{slug}: acks"

    async def check_no_deaf_socket(self, timings: Timings) -> None:
        """A final message per room reaches every client of the room, which
        then holds 1..N of it, each once."""
        finals = {}
        for slug in ROOMS:
            sender = next(c for c in self.clients if c.slug == slug)
            finals[slug] = (sender, await sender.send(f"final {slug}"))
        await wait_until(
            lambda: all(not s.unacked for s, _ in finals.values()), 30, "finals acked"
        )
        for slug, (sender, client_id) in finals.items():
            seq = sender.sent[client_id].seq
            members = [c for c in self.clients if c.slug == slug]
            took = await wait_until(
                lambda m=members, s=seq: all(c.last >= s for c in m),
                15,
                f"final message of {slug} on every socket",
            )
            for client in members:
                assert sorted(client.held) == list(range(1, seq + 1)), client.name
            timings.notes.append(
                f"{slug}: {seq} messages, final everywhere {took:.1f}s"
            )

    def _worst_delivery(self, fault_at: float) -> float:
        worst = 0.0
        for sender in self.senders:
            members = [c for c in self.clients if c.slug == sender.slug]
            for sent in sender.sent.values():
                if sent.seq is None or sent.sent_at < fault_at - 1:
                    continue
                arrived = [c.held_at.get(sent.seq) for c in members]
                if all(arrived):
                    worst = max(worst, max(arrived) - sent.sent_at)
        return worst

    async def stop(self) -> None:
        self.sending = False
        for task in self.tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        for client in self.clients:
            await client.stop()


def _since(samples: list[tuple], index: int) -> float | None:
    """When the samples' `index` field became true and stayed true (None
    samples, no answer, skipped), or None if the last answer is false."""
    since = None
    for sample in samples:
        if sample[index] is None:
            continue
        if not sample[index]:
            since = None
        elif since is None:
            since = sample[0]
    return since
