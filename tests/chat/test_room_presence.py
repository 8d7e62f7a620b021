"""GET /api/rooms/<slug>/presence/: who is in a room, behind the room's
access rules (the same as for its messages)."""

from __future__ import annotations

import pytest

from chat.models import Room
from presence import api

pytestmark = pytest.mark.django_db(transaction=True)


async def test_anonymous_gets_403_json(async_client):
    response = await async_client.get("/api/rooms/general/presence/")
    assert response.status_code == 403
    assert response["Content-Type"].startswith("application/json")


async def test_room_presence(async_client, alice, bob):
    room = await Room.objects.acreate(slug="lobby", name="Lobby")
    await async_client.aforce_login(alice)
    await api.connect(socket_id="b", user=bob.ref(), room_id=room.id)
    await api.connect(socket_id="elsewhere", user=alice.ref(), room_id=None)
    response = await async_client.get("/api/rooms/lobby/presence/")
    assert response.status_code == 200
    assert response.json() == {"users": [bob.ref()]}
    await api.disconnect(socket_id="b")
    await api.disconnect(socket_id="elsewhere")


async def test_missing_and_foreign_private_rooms_are_404(async_client, alice, bob):
    secret = await Room.objects.acreate(slug="secret", name="Secret", private=True)
    await secret.members.aadd(bob)
    await async_client.aforce_login(alice)
    for slug in ("secret", "nowhere"):
        response = await async_client.get(f"/api/rooms/{slug}/presence/")
        assert response.status_code == 404
        assert response.json() == {"detail": "No such room."}
    await async_client.aforce_login(bob)
    response = await async_client.get("/api/rooms/secret/presence/")
    assert response.status_code == 200 and response.json() == {"users": []}


async def test_a_banned_user_is_refused_with_403(async_client, alice, bob):
    room = await Room.objects.acreate(slug="lobby", name="Lobby")
    await room.banned.aadd(alice)
    await api.connect(socket_id="b", user=bob.ref(), room_id=room.id)
    await async_client.aforce_login(alice)
    response = await async_client.get("/api/rooms/lobby/presence/")
    assert response.status_code == 403
    assert response.json() == {"detail": "You are banned from this room."}
    await api.disconnect(socket_id="b")


@pytest.mark.parametrize(
    "slug", ["%00", "a%00b", "UPPER", "x" * 51, "%F0%9F%98%80", "a b"]
)
async def test_slugs_that_cannot_exist_are_404_json(async_client, alice, slug):
    await async_client.aforce_login(alice)
    response = await async_client.get(f"/api/rooms/{slug}/presence/")
    assert response.status_code == 404
    assert response.json() == {"detail": "No such room."}


async def test_the_openapi_schema_declares_the_responses(async_client, alice):
    await async_client.aforce_login(alice)
    schema = (await async_client.get("/api/openapi.json")).json()
    room = schema["paths"]["/api/rooms/{slug}/presence/"]["get"]["responses"]
    assert {"200", "403", "404"} <= set(room)
