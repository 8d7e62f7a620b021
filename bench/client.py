"""The load generator's socket: one chat client speaking PROTOCOL.md.

Each `message.send` body carries `tag|sender|n|step|send time`, so every
receiver can tell a delivery from this run, match it to its send and compute
its latency on the one machine clock. A client checks that seq grows by exactly
one (PROTOCOL.md, Delivery semantics), counts duplicates and gaps, and repairs
a gap with `history.after` as a real client would.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import socket
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from devserver.serve import WS_MAX_SIZE

# protocol.wire's presence.join / presence.leave, as json.dumps writes them;
# any other shape goes through json.loads.
_PRESENCE = re.compile(
    r'\{"type": "presence\.(join|leave)", "room": (?:"[a-z0-9-]*"|null), '
    r'"user": \{"id": (\d+),'
)


@dataclass
class Tally:
    """What the clients of one run (or one step of a run) saw."""

    sent: int = 0
    expected: int = 0
    received: int = 0
    duplicates: int = 0
    gap_events: int = 0
    gap_missing: int = 0
    repaired: int = 0
    errors: Counter = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)
    acked: int = 0  # a sender's own echo: the message was stored and broadcast


@dataclass
class Target:
    """Where the clients go: one or more server base URLs (ws://host:port)."""

    urls: list[str]
    cookie_name: str = "sessionid"

    def origin(self, url: str) -> str:
        return "http://" + url.split("://", 1)[1]


def open_socket(
    url: str, *, origin: str, cookie: str, seconds: float, **extra: Any
) -> Any:
    """A load generator's socket as every bench client opens it: logged in
    by cookie, no compression (PROTOCOL's clients need not offer it), no
    pings of its own, no proxy from the environment."""
    return connect(
        url,
        origin=origin,
        additional_headers={"Cookie": cookie},
        compression=None,
        ping_interval=None,
        open_timeout=seconds,
        close_timeout=2,
        proxy=None,
        **extra,
    )


class ChatClient:
    def __init__(
        self,
        *,
        url: str,
        origin: str,
        cookie: str,
        room: str,
        tag: str,
        index: int,
        tallies: dict[int, Tally],
        stuck: bool = False,
        presence_diff: bool = True,
    ) -> None:
        # As the browser client does: a tick's joins and leaves in one
        # presence.diff frame (README, Presence diffs).
        self.url = f"{url}/ws/chat/{room}/" + (
            "?presence=diff" if presence_diff else ""
        )
        self.origin = origin
        self.cookie = cookie
        self.room = room
        self.tag = tag
        self.index = index
        self.tallies = tallies  # by step; the runner adds steps as it goes
        self.stuck = stuck
        self.ws: ClientConnection | None = None
        self.last_seq = 0
        self.missing: set[int] = set()
        self.closed_code: int | None = None
        self.closing = False  # we closed it ourselves
        self.unexpected_close: int | None = None
        self.first_frames: list[str] = []
        self._reader: asyncio.Task | None = None
        self.sent_n = 0
        self._repairs: set[asyncio.Task] = set()
        # Presence as this client was told it (presence.state, then joins
        # and leaves), how many presence frames it got, and how many joins
        # and leaves they told.
        self.present: set[int] = set()
        self.presence_frames = 0
        self.presence_changes = 0
        self.opened_at: float | None = None  # time.monotonic() of its first frames

    async def open(self, seconds: float = 30.0) -> None:
        sock = None
        if self.stuck:
            # A small receive buffer, so the server's buffers fill quickly.
            host, port = self.url.split("//", 1)[1].split("/", 1)[0].split(":")
            sock = socket.socket()
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            sock.setblocking(False)
            await asyncio.get_running_loop().sock_connect(sock, (host, int(port)))
        self.ws = await open_socket(
            self.url,
            origin=self.origin,
            cookie=self.cookie,
            seconds=seconds,
            max_size=WS_MAX_SIZE * 8,
            max_queue=4 if self.stuck else 64,
            sock=sock,
        )
        # PROTOCOL.md, "Frames the server sends first": presence.state, history.
        for expected in ("presence.state", "history"):
            text = await asyncio.wait_for(self.ws.recv(), seconds)
            frame = json.loads(text)
            if frame.get("type") != expected:
                raise RuntimeError(f"first frames: wanted {expected}, got {text[:200]}")
            if expected == "presence.state":
                self.present = {u["id"] for u in frame["users"]}
            if expected == "history":
                self._first_history(frame)
            self.first_frames.append(expected)
        self.opened_at = time.monotonic()
        if not self.stuck:
            self._reader = asyncio.create_task(self._read())

    def _first_history(self, frame: dict) -> None:
        if frame["messages"]:
            self.last_seq = frame["messages"][-1]["seq"]

    def start_reading(self) -> None:
        """For a stuck client: start reading at last."""
        if self._reader is None:
            self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        ws = self.ws
        try:
            async for text in ws:
                self._on_frame(text)
        except ConnectionClosed:
            pass
        self.closed_code = ws.close_code if ws.close_code is not None else 1006
        if not self.closing:
            self.unexpected_close = self.closed_code

    def _on_frame(self, text: str) -> None:
        # A filling room sends each client a join per newcomer (400,000 for
        # 1,000 sockets): read those without json.loads, which was a third of
        # the load generator's CPU there and competed with the server's.
        if presence := _PRESENCE.match(text):
            self.presence_frames += 1
            self.presence_changes += 1
            if presence[1] == "join":
                self.present.add(int(presence[2]))
            else:
                self.present.discard(int(presence[2]))
            return
        now = time.time()
        frame = json.loads(text)
        kind = frame.get("type")
        if kind == "message":
            self._on_message(frame)
            seq = frame["seq"]
            if seq <= self.last_seq:
                if seq in self.missing:  # a repair that raced a late frame
                    self.missing.discard(seq)
                else:
                    self._tally(frame["body"]).duplicates += 1
                    return
            elif seq != self.last_seq + 1:
                gap = range(self.last_seq + 1, seq)
                tally = self._tally(frame["body"])
                tally.gap_events += 1
                tally.gap_missing += len(gap)
                self.missing.update(gap)
                task = asyncio.ensure_future(self._repair(self.last_seq, len(gap)))
                self._repairs.add(task)
                task.add_done_callback(self._repairs.discard)
            self.last_seq = max(seq, self.last_seq)
            self._count(frame["body"], now)
        elif kind == "history":
            for message in frame["messages"]:
                if message["seq"] in self.missing:
                    self.missing.discard(message["seq"])
                    tally = self._tally(message["body"])
                    tally.repaired += 1
                    self._count(message["body"], now, latency=False)
        elif kind == "presence.diff":
            self.presence_frames += 1
            self.presence_changes += len(frame["joins"]) + len(frame["leaves"])
            self.present.update(user["id"] for user in frame["joins"])
            self.present.difference_update(user["id"] for user in frame["leaves"])
        elif kind == "presence.join":
            self.presence_frames += 1
            self.presence_changes += 1
            self.present.add(frame["user"]["id"])
        elif kind == "presence.leave":
            self.presence_frames += 1
            self.presence_changes += 1
            self.present.discard(frame["user"]["id"])
        elif kind == "error":
            self.tallies[max(self.tallies)].errors[frame.get("code")] += 1

    def _on_message(self, frame: dict) -> None:
        """Each `message` frame as it comes, before it is counted (a hook)."""

    def _tally(self, body: str) -> Tally:
        parts = body.split("|", 4)
        if len(parts) == 5 and parts[0] == self.tag:
            return self.tallies.get(int(parts[3])) or self.tallies[max(self.tallies)]
        return self.tallies[max(self.tallies)]

    def _count(self, body: str, now: float, latency: bool = True) -> None:
        parts = body.split("|", 4)
        if len(parts) != 5 or parts[0] != self.tag:
            return  # not a message of this run
        tally = self.tallies.get(int(parts[3]))
        if tally is None:
            return
        tally.received += 1
        if int(parts[1]) == self.index:
            tally.acked += 1
        if latency:
            tally.latencies.append(now - float(parts[4].split(" ", 1)[0]))

    async def _repair(self, after: int, count: int) -> None:
        with contextlib.suppress(ConnectionClosed):
            await self.ws.send(
                json.dumps(
                    {"type": "history.after", "after": after, "limit": min(count, 500)}
                )
            )

    async def send_message(self, step: int, padding: str) -> None:
        self.sent_n += 1
        body = (
            f"{self.tag}|{self.index}|{self.sent_n}|{step}|{time.time():.6f} {padding}"
        )
        await self.ws.send(
            json.dumps(
                {
                    "type": "message.send",
                    "body": body,
                    "client_id": f"{self.tag}-{self.index}-{self.sent_n}",
                }
            )
        )

    async def close(self) -> None:
        self.closing = True
        if self.ws is not None:
            with contextlib.suppress(TimeoutError, ConnectionClosed, OSError):
                await asyncio.wait_for(self.ws.close(), 5)
        if self._reader is not None:
            try:
                await asyncio.wait_for(self._reader, 5)
            except (TimeoutError, asyncio.CancelledError):
                self._reader.cancel()
