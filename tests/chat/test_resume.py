"""The room revision and resume with ?after=&rev= (PROTOCOL 1.1): `changed`
holds the current state of every older message changed since, and nothing
else."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator

import pytest
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async

from chat import services, store
from chat.models import Room
from tests.helpers.servers import ServerProcess
from tests.helpers.sessions import asession_cookie_for, session_cookie_for
from tests.helpers.sockets import communicator, open_room, send_message

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("general_room"),
]


@pytest.fixture(autouse=True)
def _generous_rate_limit(settings):
    settings.CHAT_RATE_LIMIT = "100000/10"


@pytest.fixture(scope="module")
def server() -> Iterator:
    process = None

    def start() -> ServerProcess:
        nonlocal process
        if process is None:
            process = ServerProcess(env={"CHAT_RATE_LIMIT": "1000/10"}).start()
        return process

    yield start
    if process is not None:
        process.stop()


async def next_of(ws, kind: str, timeout: float = 5) -> dict:
    async with asyncio.timeout(timeout):
        while True:
            frame = json.loads(await ws.recv())
            if frame["type"] == kind:
                return frame


@pytest.mark.slow
async def test_resume_gets_the_deletion_edit_and_reaction_it_missed(server, make_user):
    """Socket A open, socket B disconnects; A deletes one old message, edits
    another and reacts to a third; B resumes with ?after=&rev= and gets all
    three in `changed` and nothing else (real server process, real Redis)."""
    ada, bob = [await database_sync_to_async(make_user)(n) for n in ("ada", "bob")]
    ada_key = await sync_to_async(session_cookie_for)(ada)
    bob_key = await sync_to_async(session_cookie_for)(bob)
    srv = server()
    a, _ = await srv.room_socket(ada_key)
    b, _ = await srv.room_socket(bob_key)
    sent = []
    for n in range(6):
        await a.send(json.dumps({"type": "message.send", "body": f"m{n}"}))
        sent.append(await next_of(a, "message"))
    for _ in sent:
        last = await next_of(b, "message")
    after, rev = last["seq"], last["rev"]
    await b.close()

    await a.send(json.dumps({"type": "message.edit", "id": sent[2]["id"], "body": "e"}))
    await next_of(a, "message.edited")
    await a.send(
        json.dumps({"type": "reaction.add", "id": sent[4]["id"], "emoji": "👍"})
    )
    await next_of(a, "reaction")
    await database_sync_to_async(services.message_delete)(
        message_id=sent[0]["id"], by=ada
    )
    await next_of(a, "message.deleted")

    b, history = await srv.room_socket(bob_key, query=f"after={after}&rev={rev}")
    assert history["messages"] == [] and history["has_more"] is False
    assert history["rev"] == rev + 3
    changed = history["changed"]
    assert [(m["id"], m["deleted"], m["body"]) for m in changed] == [
        (sent[0]["id"], True, ""),
        (sent[2]["id"], False, "e"),
        (sent[4]["id"], False, "m4"),
    ]
    assert changed[1]["edited_at"] is not None
    assert changed[2]["reactions"] == [{"emoji": "👍", "count": 1, "users": [ada.id]}]
    assert [m["rev"] for m in changed] == [rev + 3, rev + 1, rev + 2]
    assert history["changed_more"] is False
    await a.close()
    await b.close()


async def test_every_change_raises_the_rev_by_one(amake_user):
    ada = await amake_user("ada")
    sock = await open_room(ada)
    assert sock.history["rev"] == 0
    one = await send_message(sock, "one")
    two = await send_message(sock, "two")
    assert (one["rev"], two["rev"]) == (1, 2)
    await sock.send({"type": "message.edit", "id": one["id"], "body": "uno"})
    assert (await sock.recv_type("message.edited"))["rev"] == 3
    await sock.send({"type": "reaction.add", "id": two["id"], "emoji": "🎉"})
    assert (await sock.recv_type("reaction"))["rev"] == 4
    await database_sync_to_async(services.message_delete)(message_id=two["id"], by=ada)
    assert (await sock.recv_type("message.deleted"))["rev"] == 5
    assert (await send_message(sock, "three"))["rev"] == 6
    await sock.close()
    room = await database_sync_to_async(Room.objects.get)(slug="general")
    assert (room.rev, room.last_seq) == (6, 3)


async def test_resume_without_rev_has_no_changed_and_new_messages_come(amake_user):
    ada = await amake_user("ada")
    sock = await open_room(ada)
    one = await send_message(sock, "one")
    await sock.send({"type": "message.edit", "id": one["id"], "body": "uno"})
    await sock.recv_type("message.edited")
    two = await send_message(sock, "two")
    await sock.close()
    plain = await open_room(ada, query="after=1")
    assert "changed" not in plain.history
    assert [m["id"] for m in plain.history["messages"]] == [two["id"]]
    await plain.close()
    # `changed` never repeats what `messages` holds (seq > after).
    both = await open_room(ada, query="after=0&rev=0")
    assert [m["seq"] for m in both.history["messages"]] == [1, 2]
    assert both.history["changed"] == []
    await both.close()


async def test_a_resume_from_long_ago_says_changed_more(amake_user, monkeypatch):
    from protocol import limits

    monkeypatch.setattr(limits, "RESUME_CHANGED", 5)
    ada = await amake_user("ada")
    room = await database_sync_to_async(Room.objects.get)(slug="general")

    @database_sync_to_async
    def fill() -> None:
        for n in range(12):
            message, _ = store.message_create(
                room=room, author=ada, body=f"m{n}", client_id=None
            )
            services.message_delete(message_id=message.pk, by=ada)

    await fill()
    sock = await open_room(ada, query="after=12&rev=0")
    assert len(sock.history["changed"]) == 5
    assert sock.history["changed_more"] is True
    await sock.close()


@pytest.mark.parametrize(
    "query", ["after=1&rev=-1", "after=1&rev=x", "after=1&rev=" + "9" * 30, "after=x"]
)
async def test_bad_resume_points_get_bad_request_and_the_latest(amake_user, query):
    ada = await amake_user("ada")
    sock = await open_room(ada)
    await send_message(sock, "one")
    await sock.close()
    comm = communicator(f"/ws/chat/general/?{query}", await asession_cookie_for(ada))
    assert (await comm.connect(5))[0]
    frames = [json.loads(await comm.receive_from(5)) for _ in range(3)]
    kinds = [f["type"] for f in frames]
    assert kinds == ["presence.state", "error", "history"], frames
    assert frames[1]["code"] == "bad_request"
    assert "changed" not in frames[2] and len(frames[2]["messages"]) == 1
    await comm.disconnect()
