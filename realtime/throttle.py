"""Per-socket budgets for frames that cost the server more than they cost
the client: the client's own frames are the only input a socket reads, so
these live on the socket (no Redis round trip per frame).

- `Spacing`: at most one frame per interval (typing, PROTOCOL.md 1.1);
  the others are dropped silently.
- `Window`: at most N frames in any S seconds (ping); the others dropped.
- `RowBucket`: a token bucket on rows (history): a request for more rows
  than the bucket holds waits until it refills, so one socket pulls at
  most the bucket's rate, and an honest client paging a gap in is slowed,
  never refused.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque


class Spacing:
    def __init__(self, interval: float) -> None:
        self.interval = interval
        self.last = float("-inf")

    def allow(self) -> bool:
        now = time.monotonic()
        if now - self.last < self.interval:
            return False
        self.last = now
        return True


class Window:
    def __init__(self, limit: int, seconds: float) -> None:
        self.limit = limit
        self.seconds = seconds
        self.times: deque[float] = deque()

    def allow(self) -> bool:
        now = time.monotonic()
        while self.times and now - self.times[0] >= self.seconds:
            self.times.popleft()
        if len(self.times) >= self.limit:
            return False
        self.times.append(now)
        return True


class RowBucket:
    """`capacity` rows, refilled at capacity/seconds rows per second."""

    def __init__(self, capacity: int, seconds: float) -> None:
        self.capacity = float(capacity)
        self.rate = capacity / seconds
        self.tokens = float(capacity)
        self.at = time.monotonic()

    def _refill(self) -> None:
        now = time.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.at) * self.rate)
        self.at = now

    async def take(self, rows: int) -> float:
        """Spend `rows` (at most the capacity), waiting for them if needed;
        the seconds waited."""
        rows = min(rows, self.capacity)
        self._refill()
        waited = 0.0
        if self.tokens < rows:
            waited = (rows - self.tokens) / self.rate
            await asyncio.sleep(waited)
            self._refill()
        self.tokens -= rows
        return waited

    def refund(self, rows: int) -> None:
        """Rows asked for but not found (a short page) are given back."""
        self.tokens = min(self.capacity, self.tokens + rows)
