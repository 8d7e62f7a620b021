"""Clients and senders for the failover tests: what a browser does, through
HAProxy, while a fault hits the cluster.

A ChatClient holds one room socket and does what PROTOCOL.md asks of a
client: it reconnects and resumes with ?after=<seq>, fills a jump with
history.after, ignores a seq it holds, and sends each message with a
client_id that it retries (on the same or a new socket) until the server
acknowledges it with the stored message.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import time
from dataclasses import dataclass, field

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake

ORIGIN = "http://localhost"
RETRY_AFTER = 2.0  # seconds without an ack before a send goes again
REPAIR_AFTER = 1.5  # seconds a jump may stay open before history.after


@dataclass
class Sent:
    body: str
    sent_at: float  # first attempt
    last_try: float = 0.0
    acked_at: float | None = None
    seq: int | None = None


@dataclass
class ChatClient:
    name: str
    user_id: int
    session_key: str
    slug: str
    ws_url: str
    held: dict[int, dict] = field(default_factory=dict)  # seq -> message
    held_at: dict[int, float] = field(default_factory=dict)
    last: int = 0  # every seq up to this one is held
    duplicates: int = 0
    repairs: int = 0
    reconnects: int = -1
    close_codes: list[int] = field(default_factory=list)
    sent: dict[str, Sent] = field(default_factory=dict)
    ws: ClientConnection | None = None
    task: asyncio.Task | None = None
    live: bool = True
    _gap_since: float | None = None
    _counter: int = 0

    def __post_init__(self) -> None:
        self.connected = asyncio.Event()

    # --- the socket ---------------------------------------------------

    def start(self) -> None:
        self.task = asyncio.ensure_future(self._run())

    async def _run(self) -> None:
        while self.live:
            try:
                async with connect(
                    f"{self.ws_url}/ws/chat/{self.slug}/?after={self.last}",
                    origin=ORIGIN,
                    additional_headers={"Cookie": f"sessionid={self.session_key}"},
                    open_timeout=5,
                    close_timeout=2,
                ) as ws:
                    self.ws = ws
                    self.reconnects += 1
                    await self._resend(force=True)
                    keeper = asyncio.ensure_future(self._keep(ws))
                    try:
                        async for text in ws:
                            self._frame(json.loads(text))
                            self.connected.set()
                    finally:
                        keeper.cancel()
                    if ws.close_code is not None:
                        self.close_codes.append(ws.close_code)
            except (OSError, TimeoutError, InvalidHandshake, ConnectionClosed) as error:
                code = getattr(getattr(error, "rcvd", None), "code", None)
                if code is not None:
                    self.close_codes.append(code)
            self.ws = None
            self.connected.clear()
            if self.live:
                # A browser waits 0.5-5 s after a 1012; shorter keeps tests short.
                await asyncio.sleep(random.uniform(0.2, 1.0))

    async def _keep(self, ws: ClientConnection) -> None:
        """Retry unacknowledged sends, repair a jump left open."""
        while True:
            await asyncio.sleep(0.25)
            await self._resend()
            since = self._gap_since
            if since is not None and time.monotonic() - since > REPAIR_AFTER:
                self._gap_since = time.monotonic()
                self.repairs += since != 0.0  # 0.0: more history, not a jump
                await self._send_frame(
                    {"type": "history.after", "after": self.last, "limit": 500}
                )

    async def _send_frame(self, frame: dict) -> bool:
        ws = self.ws
        if ws is None:
            return False
        try:
            await ws.send(json.dumps(frame))
            return True
        except ConnectionClosed:
            return False

    # --- frames from the server ---------------------------------------

    def _frame(self, frame: dict) -> None:
        kind = frame["type"]
        if kind == "message":
            self._hold(frame)
        elif kind == "history":
            for message in frame["messages"]:
                self._hold(message)
            if frame.get("has_more"):
                self._gap_since = 0.0  # ask for the rest at once (_keep)
        elif kind == "error":
            ref = frame.get("ref")
            if ref in self.sent:  # unavailable, rate_limited: retry soon
                self.sent[ref].last_try = 0.0

    def _hold(self, message: dict) -> None:
        seq = message["seq"]
        mine = message["user"]["id"] == self.user_id
        if mine and message.get("client_id") in self.sent:
            sent = self.sent[message["client_id"]]
            if sent.acked_at is None:
                sent.acked_at, sent.seq = time.monotonic(), seq
        if seq <= self.last or seq in self.held:
            self.duplicates += 1
            return
        self.held[seq] = message
        self.held_at[seq] = time.monotonic()
        while self.last + 1 in self.held:
            self.last += 1
        ahead = max(self.held) > self.last
        if ahead and self._gap_since is None:
            self._gap_since = time.monotonic()
        elif not ahead:
            self._gap_since = None

    # --- sending --------------------------------------------------------

    async def send(self, body: str) -> str:
        self._counter += 1
        client_id = f"{self.name}-{self._counter}"
        self.sent[client_id] = Sent(body=body, sent_at=time.monotonic())
        await self._resend()
        return client_id

    async def _resend(self, force: bool = False) -> None:
        now = time.monotonic()
        for client_id, sent in list(self.sent.items()):
            if sent.acked_at is not None:
                continue
            if force or now - sent.last_try > RETRY_AFTER:
                sent.last_try = now
                frame = {
                    "type": "message.send",
                    "body": sent.body,
                    "client_id": client_id,
                }
                await self._send_frame(frame)

    @property
    def unacked(self) -> list[str]:
        return [cid for cid, s in self.sent.items() if s.acked_at is None]

    async def stop(self) -> None:
        self.live = False
        if self.ws is not None:
            with contextlib.suppress(Exception):
                await self.ws.close()
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self.task


async def wait_until(predicate, timeout: float, what: str, step: float = 0.1) -> float:
    """Poll `predicate()` (sync or async) until true; the seconds it took."""
    started = time.monotonic()
    while True:
        result = predicate()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return time.monotonic() - started
        if time.monotonic() - started > timeout:
            raise AssertionError(f"{what}: not within {timeout:.0f}s")
        await asyncio.sleep(step)
