"""Presence changes go to sockets per tick (realtime.presence_fan): a room
that fills up or empties at once still shows each user joining once and
leaving once, and a socket's first frames agree with what follows."""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter

import pytest
from asgiref.sync import sync_to_async

from realtime.presence_fan import net_changes
from tests.helpers.servers import ServerProcess
from tests.helpers.sessions import asession_cookie_for, session_cookie_for
from tests.helpers.sockets import TIMEOUT, communicator

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("general_room"),
]

A = {"id": 1, "username": "a", "display_name": ""}
B = {"id": 2, "username": "b", "display_name": ""}


def test_a_join_and_leave_in_one_tick_cancel_out():
    join, leave = "presence.join", "presence.leave"
    assert net_changes([(join, A), (leave, A)]) == []
    assert net_changes([(leave, A), (join, A)]) == []  # a quick reconnect
    assert net_changes([(join, A), (join, B), (leave, A), (join, A)]) == [
        (join, B),
        (join, A),
    ]
    assert net_changes([(leave, B), (join, B), (leave, B)]) == [(leave, B)]


async def presence_frames(comm, quiet: float = 0.5) -> list[dict]:
    frames = []
    while not await comm.receive_nothing(quiet):
        frame = await comm.receive_json_from(TIMEOUT)
        if frame["type"].startswith("presence."):
            frames.append(frame)
    return frames


async def open_comm(path: str, key: str):
    comm = communicator(path, key)
    connected, _ = await comm.connect(TIMEOUT)
    assert connected
    first = await comm.receive_json_from(TIMEOUT)
    return comm, first


async def test_a_room_filling_and_emptying_at_once_shows_each_user_once(make_user):
    watcher = await sync_to_async(make_user)()
    watching, _ = await open_comm(
        "/ws/chat/general/", await asession_cookie_for(watcher)
    )
    await watching.receive_json_from(TIMEOUT)  # history
    users = [await sync_to_async(make_user)() for _ in range(30)]
    keys = [await asession_cookie_for(u) for u in users]

    opened = await asyncio.gather(*(open_comm("/ws/chat/general/", k) for k in keys))
    for comm, state in opened:
        history = await comm.receive_json_from(TIMEOUT)
        assert (state["type"], history["type"]) == ("presence.state", "history")
    # Each newcomer's state and the joins it gets after it add up to the room.
    everyone = {u.id for u in users} | {watcher.id}
    for (comm, state), user in zip(opened, users, strict=True):
        later = await presence_frames(comm)
        assert all(f["type"] == "presence.join" for f in later)
        seen = [u["id"] for u in state["users"]] + [f["user"]["id"] for f in later]
        assert sorted(seen) == sorted(everyone), user
    joins = await presence_frames(watching)
    assert Counter((f["type"], f["user"]["id"]) for f in joins) == Counter(
        ("presence.join", u.id) for u in users
    )

    await asyncio.gather(*(comm.disconnect() for comm, _ in opened))
    leaves = await presence_frames(watching)
    assert Counter((f["type"], f["user"]["id"]) for f in leaves) == Counter(
        ("presence.leave", u.id) for u in users
    )
    await watching.disconnect()


async def test_a_visit_shorter_than_a_tick_may_go_unseen_but_never_half_seen(
    make_user,
):
    watcher, visitor = [await sync_to_async(make_user)() for _ in range(2)]
    watching, _ = await open_comm("/ws/presence/", await asession_cookie_for(watcher))
    key = await asession_cookie_for(visitor)
    for _ in range(5):
        comm, _ = await open_comm("/ws/presence/", key)
        await comm.disconnect()
    kinds = [f["type"] for f in await presence_frames(watching)]
    # Joins and leaves alternate, and the visitor is gone at the end.
    assert kinds == ["presence.join", "presence.leave"] * (len(kinds) // 2)
    await watching.disconnect()


def told(frame: dict) -> list[tuple[str, int]]:
    """(kind, user id) of what a presence frame of either kind tells."""
    if frame["type"] == "presence.diff":
        return [("presence.join", u["id"]) for u in frame["joins"]] + [
            ("presence.leave", u["id"]) for u in frame["leaves"]
        ]
    return [(frame["type"], frame["user"]["id"])]


@pytest.mark.slow
@pytest.mark.parametrize("query", ["", "presence=diff"])
async def test_two_processes_filling_one_room_each_user_joins_and_leaves_once(
    make_user, query
):
    servers = [ServerProcess(env={"CHAT_RATE_LIMIT": "1000/10"}) for _ in range(2)]
    try:
        for server in servers:
            await asyncio.to_thread(server.start)
        users = [await sync_to_async(make_user)() for _ in range(41)]
        keys = [await sync_to_async(session_cookie_for)(u) for u in users]
        watchers = [
            (await s.room_socket(keys[i], query=query))[0]
            for i, s in enumerate(servers)
        ]
        seen: list[list[tuple[str, int]]] = [[], []]

        async def read(i: int) -> None:
            async for text in watchers[i]:
                frame = json.loads(text)
                kind = frame["type"]
                if kind in ("presence.join", "presence.leave", "presence.diff"):
                    # Only the kind of frame this watcher asked for.
                    assert (kind == "presence.diff") == bool(query), frame
                    seen[i].extend(told(frame))

        readers = [asyncio.create_task(read(i)) for i in range(2)]
        crowd = users[2:]
        sockets = await asyncio.gather(
            *(servers[n % 2].room_socket(keys[2 + n]) for n in range(len(crowd)))
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(  # noqa: ASYNC110
            len(s) < len(crowd) for s in seen
        ):
            await asyncio.sleep(0.1)
        await asyncio.gather(*(ws.close() for ws, _ in sockets))
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(  # noqa: ASYNC110
            len(s) < 2 * len(crowd) for s in seen
        ):
            await asyncio.sleep(0.1)
        await asyncio.sleep(0.5)
        expected = Counter(
            (kind, u.id) for u in crowd for kind in ("presence.join", "presence.leave")
        )
        crowd_ids = {u.id for u in crowd}
        for frames in seen:
            got = Counter(
                change
                for change in frames
                if change[1] in crowd_ids  # not the other watcher
            )
            assert got == expected, (got - expected, expected - got)
        for task in readers:
            task.cancel()
        for ws in watchers:
            await ws.close()
    finally:
        for server in servers:
            server.stop()
