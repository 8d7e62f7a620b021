"""#17 finding 3: room creation had no limit, and the room list was
O(rooms) for everyone.

Before: one connection made 124 rooms/s; at 10,000 rooms `GET /api/rooms/`
ran 10,000 Lua presence sweeps (0.76 s) for every caller, every 15 s.

Now each user may create CHAT_ROOM_CREATE_LIMIT rooms (N in any S
seconds, counted in Redis across every process; staff are not limited; a
refused create does not count), and the room list reads presence only for
rooms that someone is in.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from chat.models import Room
from tests.helpers.servers import ServerProcess

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("general_room"),
    pytest.mark.slow,
]

SERVER_ENV = {"CHAT_ROOM_CREATE_LIMIT": "5/3600"}


@pytest.fixture(scope="module")
def second_server(server, django_db_blocker) -> Iterator[ServerProcess]:
    with django_db_blocker.unblock():
        process = ServerProcess(env=SERVER_ENV).start()
    yield process
    process.stop()


def test_room_creation_is_limited_per_user_across_processes(signup, second_server):
    alice, bob = signup(), signup()
    servers = [alice.http(), alice.http(second_server)]
    codes = [
        servers[n % 2].post("/api/rooms/", json={"name": f"Room {n}"}).status_code
        for n in range(7)
    ]
    assert codes == [201] * 5 + [429] * 2
    assert servers[1].post("/api/rooms/", json={"name": "x"}).json() == {
        "detail": "You have created too many rooms; try later."
    }
    assert bob.http().post("/api/rooms/", json={"name": "Bob's"}).status_code == 201
    assert Room.objects.filter(owner=alice.user).count() == 5


def test_refused_creates_do_not_count_and_staff_are_not_limited(signup):
    alice = signup()
    http = alice.http()
    assert http.post("/api/rooms/", json={"name": "Taken"}).status_code == 201
    for _ in range(6):  # a taken slug and bad input cost nothing
        assert http.post("/api/rooms/", json={"name": "Taken"}).status_code == 409
        assert http.post("/api/rooms/", json={"name": "!!!"}).status_code == 400
    codes = [
        http.post("/api/rooms/", json={"name": f"R{n}"}).status_code for n in range(5)
    ]
    assert codes == [201] * 4 + [429]
    staff = signup(is_staff=True).http()
    codes = [
        staff.post("/api/rooms/", json={"name": f"S{n}"}).status_code for n in range(8)
    ]
    assert codes == [201] * 8


def _evalsha_calls(redis_client) -> int:
    stats = redis_client.info("commandstats")
    return sum(
        stats.get(name, {}).get("calls", 0)
        for name in ("cmdstat_evalsha", "cmdstat_eval")
    )


async def test_the_room_list_sweeps_only_rooms_someone_is_in(asignup, redis_client):
    from asgiref.sync import sync_to_async

    await sync_to_async(Room.objects.bulk_create)(
        [Room(slug=f"flood-{n}", name=f"Flood {n}") for n in range(3000)]
    )
    alice = await asignup()
    ws, _ = await alice.room("flood-7")
    http = alice.http()
    before = _evalsha_calls(redis_client)
    response = await sync_to_async(http.get)("/api/rooms/")
    assert response.status_code == 200
    rooms = {room["slug"]: room["online"] for room in response.json()["rooms"]}
    assert len(rooms) == 3001 and rooms["flood-7"] == 1 and rooms["flood-8"] == 0
    # One sweep for the one room with a presence (not 3,001), plus the
    # heartbeat's own scripts if it ticked meanwhile.
    assert _evalsha_calls(redis_client) - before < 10
    await ws.close()
