"""`?presence=diff` (README, Presence diffs): a tick's joins and leaves in
one presence.diff frame, with PROTOCOL's semantics: each user joins once
and leaves once, a frame never names a user twice, and clients of either
kind share one room."""

from __future__ import annotations

import asyncio
import json
from collections import Counter

import pytest
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async

from chat.models import Room
from protocol import wire
from realtime.presence_fan import BAD_OPTION, wants_diff
from tests.helpers.sessions import asession_cookie_for
from tests.helpers.sockets import TIMEOUT, communicator

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("general_room"),
]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (b"", (False, None)),
        (b"after=3&heartbeat=10", (False, None)),
        (b"presence=diff", (True, None)),
        (b"after=3&presence=diff&heartbeat=10", (True, None)),
    ],
)
def test_the_option_is_read_from_the_query(query, expected):
    assert wants_diff({"query_string": query}) == expected


@pytest.mark.parametrize(
    "query",
    [
        b"presence=",
        b"presence",
        b"presence=joins",
        b"presence=DIFF",
        b"presence=diff&presence=diff",
        b"presence=diff%00",
        b"presence=" + b"d" * 100_000,
        "presence=дифф".encode(),
        b"presence=%ff%fe",
    ],
)
def test_any_other_value_is_refused_with_the_reason(query):
    assert wants_diff({"query_string": query}) == (False, BAD_OPTION)


@pytest.mark.parametrize("room", ["general", None])
def test_a_diff_is_the_same_text_as_json_dumps(room):
    odd = {"id": 7, "username": "o'neil", "display_name": 'Ö "quoted" \\ \n 🙂'}
    plain = {"id": 8, "username": "b", "display_name": "b"}
    text = wire.presence_diff(
        room=room,
        joins=[wire.user_json(odd), wire.user_json(plain)],
        leaves=[],
    )
    assert text == json.dumps(
        {"type": "presence.diff", "room": room, "joins": [odd, plain], "leaves": []}
    )
    assert json.loads(wire.presence_diff(room=room, joins=[], leaves=[])) == {
        "type": "presence.diff",
        "room": room,
        "joins": [],
        "leaves": [],
    }


async def frames_until_quiet(comm, quiet: float = 0.5) -> list[dict]:
    frames = []
    while not await comm.receive_nothing(quiet):
        frames.append(await comm.receive_json_from(TIMEOUT))
    return frames


async def open_first(path: str, key: str, firsts: int = 2):
    comm = communicator(path, key)
    connected, _ = await comm.connect(TIMEOUT)
    assert connected
    got = [await comm.receive_json_from(TIMEOUT) for _ in range(firsts)]
    return comm, got


def changes_of(frames: list[dict]) -> Counter:
    """(kind, user id) of every join and leave the frames told, checking
    that each diff names a user at most once and is never empty."""
    told: Counter = Counter()
    for frame in frames:
        assert frame["type"] == "presence.diff", frame
        ids = [u["id"] for u in frame["joins"]] + [u["id"] for u in frame["leaves"]]
        assert ids and len(ids) == len(set(ids)), frame
        told.update(("presence.join", u["id"]) for u in frame["joins"])
        told.update(("presence.leave", u["id"]) for u in frame["leaves"])
    return told


async def test_a_room_filling_and_emptying_at_once_in_diffs(make_user):
    diffing, per_user = [await sync_to_async(make_user)() for _ in range(2)]
    watch, _ = await open_first(
        "/ws/chat/general/?presence=diff", await asession_cookie_for(diffing)
    )
    # A 1.0 client in the same room keeps its frame per join.
    old, _ = await open_first("/ws/chat/general/", await asession_cookie_for(per_user))
    await frames_until_quiet(watch)
    users = [await sync_to_async(make_user)() for _ in range(30)]
    keys = [await asession_cookie_for(u) for u in users]
    opened = await asyncio.gather(
        *(open_first("/ws/chat/general/?presence=diff", k) for k in keys)
    )
    everyone = {u.id for u in users} | {diffing.id, per_user.id}
    for (comm, (state, history)), user in zip(opened, users, strict=True):
        assert (state["type"], history["type"]) == ("presence.state", "history")
        later = changes_of(await frames_until_quiet(comm))
        assert all(kind == "presence.join" for kind, _ in later), user
        seen = [u["id"] for u in state["users"]] + [uid for _, uid in later]
        assert sorted(seen) == sorted(everyone), user

    joins = Counter(("presence.join", u.id) for u in users)
    diffs = await frames_until_quiet(watch)
    assert changes_of(diffs) == joins
    # How many joins share a frame depends on the timing (bench/, scenario
    # 10, counts them); here only that they are told right.
    per_frame = await frames_until_quiet(old)
    assert {f["type"] for f in per_frame} == {"presence.join"}
    assert Counter((f["type"], f["user"]["id"]) for f in per_frame) == joins

    await asyncio.gather(*(comm.disconnect() for comm, _ in opened))
    leaves = Counter(("presence.leave", u.id) for u in users)
    assert changes_of(await frames_until_quiet(watch)) == leaves
    per_frame = await frames_until_quiet(old)
    assert Counter((f["type"], f["user"]["id"]) for f in per_frame) == leaves
    await asyncio.gather(watch.disconnect(), old.disconnect())


async def test_the_site_socket_sends_diffs_of_room_null(make_user):
    watcher, visitor = [await sync_to_async(make_user)() for _ in range(2)]
    watch, [state] = await open_first(
        "/ws/presence/?presence=diff", await asession_cookie_for(watcher), firsts=1
    )
    assert state["type"] == "presence.state"
    comm, _ = await open_first(
        "/ws/presence/", await asession_cookie_for(visitor), firsts=1
    )
    [joined] = await frames_until_quiet(watch)
    assert joined["room"] is None
    assert (joined["joins"], joined["leaves"]) == ([visitor.ref()], [])
    await comm.disconnect()
    [left] = await frames_until_quiet(watch)
    assert (left["room"], left["joins"], left["leaves"]) == (None, [], [visitor.ref()])
    await watch.disconnect()


async def test_a_visit_shorter_than_a_tick_is_never_half_seen_in_diffs(make_user):
    watcher, visitor = [await sync_to_async(make_user)() for _ in range(2)]
    watch, _ = await open_first(
        "/ws/presence/?presence=diff", await asession_cookie_for(watcher), firsts=1
    )
    key = await asession_cookie_for(visitor)
    for _ in range(5):
        comm, _ = await open_first("/ws/presence/", key, firsts=1)
        await comm.disconnect()
    told = []
    for frame in await frames_until_quiet(watch):
        told += [("join", u["id"]) for u in frame["joins"]]
        told += [("leave", u["id"]) for u in frame["leaves"]]
    assert [kind for kind, _ in told] == ["join", "leave"] * (len(told) // 2)
    await watch.disconnect()


@pytest.mark.parametrize("value", ["joins", "", "diff&presence=diff"])
async def test_a_bad_option_is_told_and_the_socket_gets_frames_per_user(
    make_user, value
):
    user, other = [await sync_to_async(make_user)() for _ in range(2)]
    comm, (state, history) = await open_first(
        f"/ws/chat/general/?presence={value}", await asession_cookie_for(user)
    )
    assert (state["type"], history["type"]) == ("presence.state", "history")
    error = await comm.receive_json_from(TIMEOUT)
    assert error == {"type": "error", "code": "bad_request", "detail": BAD_OPTION}
    joining, _ = await open_first("/ws/chat/general/", await asession_cookie_for(other))
    [joined] = await frames_until_quiet(comm)
    assert (joined["type"], joined["user"]["id"]) == ("presence.join", other.id)
    await asyncio.gather(comm.disconnect(), joining.disconnect())


@database_sync_to_async
def private_room(owner) -> Room:
    room = Room.objects.create(slug="secret", name="Secret", private=True, owner=owner)
    room.members.add(owner)
    return room


async def test_a_stranger_asking_for_diffs_of_a_private_room_is_refused(make_user):
    owner, stranger = [await sync_to_async(make_user)() for _ in range(2)]
    await private_room(owner)
    member, _ = await open_first(
        "/ws/chat/secret/?presence=diff", await asession_cookie_for(owner)
    )
    comm = communicator(
        "/ws/chat/secret/?presence=diff", await asession_cookie_for(stranger)
    )
    connected, _ = await comm.connect(TIMEOUT)
    assert connected
    error = await comm.receive_json_from(TIMEOUT)
    assert error["code"] == "not_found"
    assert (await comm.receive_output(TIMEOUT))["code"] == 4404
    # The member sees no trace of the stranger, and the stranger no diff.
    assert await frames_until_quiet(member) == []
    await member.disconnect()
