"""Scenario 2b: every room client also holds the site socket (/ws/presence/)
that the one-page client keeps open, so each message also goes out as
`room.activity` to every other member (PROTOCOL.md 1.1, Activity, mentions
and the site socket).

The clients' users first join their room (`POST /api/rooms/<slug>/join/`:
activity goes to members only). A site socket records the seqs of the
activity it hears; one room client per room records who wrote each seq, so
the check is exact: every member hears every seq of the run but its own,
once.
"""

from __future__ import annotations

import asyncio
import contextlib
import json

import httpx
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from bench.client import ChatClient, open_socket

CSRF = "b" * 32  # any 32-character token: the cookie and the header agree


class AuthorsClient(ChatClient):
    """A room client that also records the author of each seq it is sent."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.authors: dict[int, int] = {}

    def _on_message(self, frame: dict) -> None:
        self.authors[frame["seq"]] = frame["user"]["id"]


class SiteClient:
    """One user's /ws/presence/ socket, counting the `room.activity` it gets."""

    def __init__(self, *, url: str, origin: str, cookie: str, user_id: int) -> None:
        self.url = f"{url}/ws/presence/?presence=diff"  # as the browser asks
        self.origin = origin
        self.cookie = cookie
        self.user_id = user_id
        self.seqs: dict[str, list[int]] = {}  # room slug -> seqs heard, in order
        self.ws: ClientConnection | None = None
        self._reader: asyncio.Task | None = None

    async def open(self, seconds: float = 30.0) -> None:
        self.ws = await open_socket(
            self.url, origin=self.origin, cookie=self.cookie, seconds=seconds
        )
        first = json.loads(await asyncio.wait_for(self.ws.recv(), seconds))
        if first.get("type") != "presence.state":
            raise RuntimeError(f"site socket's first frame: {first}")
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        with contextlib.suppress(ConnectionClosed):
            async for text in self.ws:
                if '"room.activity"' not in text:
                    continue
                frame = json.loads(text)
                if frame.get("type") == "room.activity":
                    self.seqs.setdefault(frame["room"], []).append(frame["seq"])

    async def close(self) -> None:
        if self.ws is not None:
            with contextlib.suppress(TimeoutError, ConnectionClosed, OSError):
                await asyncio.wait_for(self.ws.close(), 5)
        if self._reader is not None:
            self._reader.cancel()


async def join_rooms(dep, pairs: list[tuple[int, str]], concurrency: int = 20) -> int:
    """Make user i a member of room slug for each (i, slug); how many failed."""
    semaphore = asyncio.Semaphore(concurrency)
    failed = 0

    async def one(http: httpx.AsyncClient, user: int, slug: str) -> None:
        nonlocal failed
        async with semaphore:
            response = await http.post(
                f"/api/rooms/{slug}/join/",
                headers={
                    "Cookie": f"{dep.cookie(user)}; csrftoken={CSRF}",
                    "X-CSRFToken": CSRF,
                },
            )
            if response.status_code != 200:
                failed += 1

    async with httpx.AsyncClient(base_url=dep.http_url, timeout=30) as http:
        await asyncio.gather(*(one(http, u, s) for u, s in pairs))
    return failed


async def open_sites(dep, clients: list[ChatClient]) -> list[SiteClient]:
    users = dep.cookies["users"]
    sites = [
        SiteClient(
            url=c.url.split("/ws/", 1)[0],
            origin=c.origin,
            cookie=c.cookie,
            user_id=users[c.index]["id"],
        )
        for c in clients
    ]
    semaphore = asyncio.Semaphore(50)

    async def one(site: SiteClient) -> None:
        async with semaphore:
            await site.open()

    await asyncio.gather(*(one(s) for s in sites))
    return sites


def activity_check(
    sites: list[SiteClient],
    clients: list[ChatClient],
    start_seqs: dict[str, int],
) -> dict:
    """Expected, received, lost and duplicate room.activity deliveries of the
    run: each site socket owes every seq after its room's start seq that
    another user wrote (the recording room client's authors)."""
    authors: dict[str, dict[int, int]] = {}
    for client in clients:
        if isinstance(client, AuthorsClient):
            authors.setdefault(client.room, {}).update(client.authors)
    room_of = {c.index: c.room for c in clients}
    expected = received = lost = duplicates = 0
    for site, client in zip(sites, clients, strict=True):
        slug = room_of[client.index]
        start = start_seqs.get(slug, 0)
        owed = {
            seq
            for seq, author in authors.get(slug, {}).items()
            if seq > start and author != site.user_id
        }
        heard = [seq for seq in site.seqs.get(slug, []) if seq > start]
        expected += len(owed)
        received += len(set(heard) & owed)
        lost += len(owed - set(heard))
        duplicates += len(heard) - len(set(heard))
    return {
        "activity_expected": expected,
        "activity_received": received,
        "activity_lost": lost,
        "activity_duplicates": duplicates,
    }
