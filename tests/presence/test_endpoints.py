"""GET /api/online/ and GET /api/rooms/<slug>/presence/."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async

from chat.models import Room
from presence import api

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
async def alice(make_user):
    return await sync_to_async(make_user)("alice", display_name="Alice")


@pytest.fixture
async def bob(make_user):
    return await sync_to_async(make_user)("bob")


async def test_anonymous_gets_403_json(async_client):
    for url in ("/api/online/", "/api/rooms/general/presence/"):
        response = await async_client.get(url)
        assert response.status_code == 403
        assert response["Content-Type"].startswith("application/json")


async def test_online_lists_users_present_anywhere(async_client, alice, bob):
    await async_client.aforce_login(alice)
    response = await async_client.get("/api/online/")
    assert response.status_code == 200 and response.json() == {"users": []}
    await api.connect(socket_id="b", user=bob.ref(), room_id=None)
    await api.connect(socket_id="a", user=alice.ref(), room_id=1234)
    response = await async_client.get("/api/online/")
    assert response.json() == {"users": [alice.ref(), bob.ref()]}
    await api.disconnect(socket_id="a")
    await api.disconnect(socket_id="b")


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


async def test_the_openapi_schema_declares_the_responses(async_client, alice):
    await async_client.aforce_login(alice)
    schema = (await async_client.get("/api/openapi.json")).json()
    online = schema["paths"]["/api/online/"]["get"]["responses"]
    room = schema["paths"]["/api/rooms/{slug}/presence/"]["get"]["responses"]
    assert "200" in online and {"200", "404"} <= set(room)
    users = schema["components"]["schemas"]["UsersOut"]["properties"]["users"]
    assert users["items"]["$ref"].endswith("/UserRefOut")
