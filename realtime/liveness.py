"""Declared heartbeats (an addition to PROTOCOL.md; README, Liveness).

A client may open either socket with `?heartbeat=<seconds>`, a whole number
from MIN_S to MAX_S, promising a frame (its `ping`) at least that often.
Then a socket from which no frame at all has arrived for twice that, plus
GRACE_S, is closed with 4408 (realtime.codes.SILENT): it leaves presence
and gives up its slot like any other close. Server WebSocket pings cannot
tell such a client: Chromium's offline mode, for one, stops the page's
frames but its network stack still answers pings.

A socket that declares nothing is never closed for silence (PROTOCOL.md
1.0). A bad declaration (not digits, out of range, given twice) is ignored
with an `error` bad_request after the socket's first frames, never refused.

No timer per socket: one sweep per event loop (realtime.heartbeat) every
SWEEP_S seconds, running only while some socket of that loop declared one.
A frame costs one attribute write (`Watch.heard_at`).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from urllib.parse import parse_qs

from realtime.heartbeat import Heartbeat
from realtime.keyed import PerLoop

MIN_S = 5
MAX_S = 60
GRACE_S = 1.0  # the second of two missed pings, late on a loaded client
SWEEP_S = 1.0  # read on each use: tests shrink these


def _rule(what: str) -> str:
    return f"{what} must be one whole number of seconds from {MIN_S} to {MAX_S};"


class BadHeartbeat(ValueError):
    """A `heartbeat` query parameter the server ignores; str() says why."""


def declared(query_string: bytes) -> int | None:
    """The seconds `?heartbeat=` declares, None when absent; BadHeartbeat
    when present but not one whole number from MIN_S to MAX_S."""
    query = parse_qs(query_string.decode("latin-1"), keep_blank_values=True)
    values = query.get("heartbeat")
    if values is None:
        return None
    rule = _rule("`heartbeat`") + " this socket has no heartbeat."
    if len(values) != 1:
        raise BadHeartbeat(rule)
    value = values[0]
    # Digits only ("+10", "1e1", non-ASCII digits and padding are refused), and short:
    # int() of a huge string costs the server, and no sane value is long.
    if not (0 < len(value) <= 3 and value.isascii() and value.isdigit()):
        raise BadHeartbeat(rule)
    seconds = int(value)
    if not MIN_S <= seconds <= MAX_S:
        raise BadHeartbeat(rule)
    return seconds


class Watch:
    """One declaring socket: when a frame last came, and how to close it."""

    __slots__ = ("close", "heard_at", "seconds")

    def __init__(self, seconds: int, close: Callable[[], Awaitable[None]]) -> None:
        self.seconds = seconds
        self.close = close
        self.heard_at = time.monotonic()

    def heard(self) -> None:
        self.heard_at = time.monotonic()

    def silent_for(self, now: float) -> bool:
        return now - self.heard_at > 2 * self.seconds + GRACE_S


class _Local:
    """This loop's declaring sockets and their one sweep."""

    def __init__(self) -> None:
        self.watches: set[Watch] = set()
        self.heartbeat = Heartbeat(
            "heartbeat-sweep",
            self.sweep,
            busy=lambda: bool(self.watches),
            interval=lambda: SWEEP_S,
        )

    async def sweep(self) -> None:
        now = time.monotonic()
        silent = [watch for watch in self.watches if watch.silent_for(now)]
        self.watches.difference_update(silent)
        # Each close gives up presence (Redis): together, not one by one.
        await asyncio.gather(
            *(watch.close() for watch in silent), return_exceptions=True
        )


_local = PerLoop(_Local).get


def watch(seconds: int, close: Callable[[], Awaitable[None]]) -> Watch:
    """Start watching a socket that declared `seconds`; `close()` ends it."""
    local = _local()
    found = Watch(seconds, close)
    local.watches.add(found)
    local.heartbeat.ensure_running()
    return found


def parse(scope: dict) -> tuple[int | None, str | None]:
    """A socket's (seconds, None) when its query declares a heartbeat, (None,
    why) when the declaration is bad, (None, None) when there is none."""
    try:
        return declared(scope.get("query_string", b"")), None
    except BadHeartbeat as error:
        return None, str(error)


def redeclare(
    found: Watch | None, seconds: int, close: Callable[[], Awaitable[None]]
) -> Watch:
    """A ping's `heartbeat`: the socket's watch from now on (a new one when
    it had none)."""
    if found is None:
        return watch(seconds, close)
    found.seconds = seconds
    return found


def ping_heartbeat(data: dict) -> tuple[int | None, str | None]:
    """(seconds, None) when a ping frame carries a good `heartbeat`, (None,
    why) when a bad one, (None, None) when none (README, Liveness)."""
    if "heartbeat" not in data:
        return None, None
    value = data["heartbeat"]
    if isinstance(value, bool) or not isinstance(value, int):
        return None, _rule("a ping's `heartbeat`")
    if not MIN_S <= value <= MAX_S:
        return None, _rule("a ping's `heartbeat`")
    return value, None


def unwatch(found: Watch) -> None:
    _local().watches.discard(found)


def watched() -> int:
    """How many sockets of this loop declared a heartbeat (tests, metrics)."""
    return len(_local().watches)
