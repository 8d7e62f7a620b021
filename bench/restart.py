"""Scenario 12: a rolling restart. Two server processes behind one port
(HAProxy, or bench/proxy.py where HAProxy is missing), clients that behave
as the browser's (reconnect after a random 0.5-5 s on 1012, resume with
?after=<seq>, send again what was not acknowledged, with the same
client_id), senders at a steady rate; each process in turn gets SIGTERM,
exits, and starts again on its port."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import time

from websockets.exceptions import ConnectionClosed

from bench.client import ChatClient, Tally
from bench.scenarios import Deployment, close_fleet, connect_fleet
from bench.storms import TIMELINE_POINTS

RESTART_CLOSE = 1012


class ResumingClient(ChatClient):
    """A ChatClient that comes back by itself, as static/chat/js/socket.js."""

    events: list[tuple[float, int]]  # (time.monotonic(), +1 open / -1 closed)

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.base_url = self.url
        self.got: set[str] = set()  # "sender|n" of this run's messages held
        self.unacked: dict[str, str] = {}  # client_id -> body
        self.resent: set[str] = set()  # client_ids sent again after a reconnect
        self.stopped = False
        self.reconnects = 0
        self.back: asyncio.Task | None = None

    async def open(self, seconds: float = 30.0) -> None:
        self.url = self.base_url
        if self.last_seq:
            joiner = "&" if "?" in self.base_url else "?"
            self.url = f"{self.base_url}{joiner}after={self.last_seq}"
        await super().open(seconds)
        self.events.append((time.monotonic(), 1))
        self._reader.add_done_callback(self._closed)
        for client_id, body in list(self.unacked.items()):
            self.resent.add(client_id)
            await self._send(client_id, body)

    def _first_history(self, frame: dict) -> None:
        # The resume set: every message after the one last held.
        for message in frame["messages"]:
            if message["seq"] > self.last_seq:
                self.last_seq = message["seq"]
                self._take(message, time.time(), latency=False)
        if frame.get("has_more"):
            task = asyncio.ensure_future(self._repair(self.last_seq, 500))
            self._repairs.add(task)
            task.add_done_callback(self._repairs.discard)

    def _on_frame(self, text: str) -> None:
        frame = json.loads(text)
        if (
            frame.get("type") == "message"
            and frame["seq"] <= self.last_seq
            and frame.get("client_id") in self.resent
        ):
            # The answer to a retry of a message that was stored already:
            # PROTOCOL's duplicate that a client ignores, not a server's.
            self.unacked.pop(frame["client_id"], None)
            return
        super()._on_frame(text)

    def _count(self, body: str, now: float, latency: bool = True) -> None:
        parts = body.split("|", 4)
        if len(parts) == 5 and parts[0] == self.tag:
            self.got.add(f"{parts[1]}|{parts[2]}")
            if int(parts[1]) == self.index:
                self.unacked.pop(f"{self.tag}-{self.index}-{parts[2]}", None)
        super()._count(body, now, latency)

    def _take(self, message: dict, now: float, latency: bool) -> None:
        self._count(message["body"], now, latency)

    async def send_message(self, step: int, padding: str) -> None:
        self.sent_n += 1
        body = f"{self.tag}|{self.index}|{self.sent_n}|{step}|{time.time():.6f}"
        client_id = f"{self.tag}-{self.index}-{self.sent_n}"
        self.unacked[client_id] = body
        with contextlib.suppress(ConnectionClosed, AttributeError):
            await self._send(client_id, body)

    async def _send(self, client_id: str, body: str) -> None:
        await self.ws.send(
            json.dumps({"type": "message.send", "body": body, "client_id": client_id})
        )

    def _closed(self, reader: asyncio.Task) -> None:
        self.events.append((time.monotonic(), -1))
        if self.stopped:
            return
        code = self.closed_code
        self.unexpected_close = None  # expected here: it comes back
        delay = random.uniform(0.5, 5.0) if code == RESTART_CLOSE else 0.5
        self.back = asyncio.ensure_future(self._come_back(delay))

    async def _come_back(self, delay: float) -> None:
        while not self.stopped:
            await asyncio.sleep(delay)
            try:
                self.reconnects += 1
                await self.open()
                return
            except Exception:
                delay = 0.5

    async def close(self) -> None:
        self.stopped = True
        if self.back is not None:
            self.back.cancel()
        await super().close()


def connected_timeline(events: list[tuple[float, int]], started: float) -> list:
    points, count = [], 0
    for at, change in sorted(events):
        count += change
        points.append([round(at - started, 3), count])
    step = max(1, len(points) // (TIMELINE_POINTS * 4))
    return points[::step] + points[-1:]


def _back_after(events, since: float, total: int) -> float | None:
    """Seconds from `since` until all `total` clients were connected again,
    after the count had dropped."""
    count, dropped = 0, False
    for at, change in sorted(events):
        count += change
        if at < since:
            continue
        if count < total:
            dropped = True
        elif dropped:
            return round(at - since, 2)
    return None


async def rolling_restart(
    dep: Deployment,
    servers: list,
    *,
    sockets: int,
    rooms: int,
    senders: int,
    rate: float,
    settle_s: float = 5.0,
) -> dict:
    """`servers`: the ChatServers behind dep.urls[0] (the proxy), restarted
    one by one with SIGTERM while the senders send."""
    tag = os.urandom(4).hex()
    tally = Tally()
    events: list[tuple[float, int]] = []
    ResumingClient.events = events
    fleet = await connect_fleet(
        dep,
        rooms=rooms,
        per_room=sockets // rooms,
        tag=tag,
        tallies={0: tally},
        concurrency=200,
        client_class=ResumingClient,
    )
    started = time.monotonic()
    sending = [c for members in fleet.by_room.values() for c in members][:senders]
    stop = asyncio.Event()

    async def send(client: ResumingClient) -> None:
        next_at = time.monotonic()
        while not stop.is_set():
            await client.send_message(0, "")
            tally.sent += 1
            next_at += 1 / rate
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))

    tasks = [asyncio.ensure_future(send(c)) for c in sending]
    restarts = []
    await asyncio.sleep(settle_s)
    for server in servers:
        asked = time.monotonic()
        await asyncio.to_thread(server.terminate)
        status = await asyncio.to_thread(server.wait, 30)
        exited = time.monotonic()
        await asyncio.to_thread(server.start)
        up = time.monotonic()
        deadline = up + 30
        while time.monotonic() < deadline:
            back = _back_after(events, asked, fleet.ok)
            if back is not None:
                break
            await asyncio.sleep(0.1)
        restarts.append(
            {
                "at_s": round(asked - started, 2),
                "exited_after_s": round(exited - asked, 2),
                "exit_status": status,
                "up_again_after_s": round(up - asked, 2),
                "all_back_after_s": _back_after(events, asked, fleet.ok),
            }
        )
        await asyncio.sleep(settle_s)
    stop.set()
    await asyncio.gather(*tasks)
    # Let retries be answered and every client catch up.
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if all(not c.unacked for c in sending) and all(
            len(c.got) >= tally.sent for c in fleet.clients if c.room == sending[0].room
        ):
            break
        await asyncio.sleep(0.2)
    acked = {
        f"{c.index}|{n}"
        for c in sending
        for n in range(1, c.sent_n + 1)
        if f"{c.tag}-{c.index}-{n}" not in c.unacked
    }
    in_room = [c for c in fleet.clients if c.room == sending[0].room]
    lost = sum(len(acked - c.got) for c in in_room)
    result = {
        "connections_ok": fleet.ok,
        "connections_failed": fleet.failed,
        "connect_s": fleet.connect_s,
        "sent": tally.sent,
        "acked": len(acked),
        "never_acked": tally.sent - len(acked),
        "expected": len(acked) * len(in_room),
        "received": sum(len(acked & c.got) for c in in_room),
        "lost": lost,
        "duplicates": tally.duplicates,
        "unrepaired_gaps": max(0, tally.gap_missing - tally.repaired),
        "reconnects": sum(c.reconnects for c in fleet.clients),
        "restarts": restarts,
        "timeline": connected_timeline(events, started),
        "unexpected_closes": {},
    }
    await close_fleet(fleet)
    return result
