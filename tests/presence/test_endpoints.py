"""GET /api/online/ (a room's presence is chat's: tests/chat/test_room_presence.py)."""

from __future__ import annotations

import pytest

from presence import api

pytestmark = pytest.mark.django_db(transaction=True)


async def test_anonymous_gets_403_json(async_client):
    response = await async_client.get("/api/online/")
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


async def test_the_openapi_schema_declares_the_responses(async_client, alice):
    await async_client.aforce_login(alice)
    schema = (await async_client.get("/api/openapi.json")).json()
    online = schema["paths"]["/api/online/"]["get"]["responses"]
    assert "200" in online
    users = schema["components"]["schemas"]["UsersOut"]["properties"]["users"]
    assert users["items"]["$ref"].endswith("/UserRefOut")
