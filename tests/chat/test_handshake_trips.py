"""A room socket's handshake looks its room up in the same trip to the
database thread as the session and the user (accounts.handshake's
`preload`, chat.routing.preload), for signed-in users only; a socket that
came without the preload looks it up itself, with the same rules."""

from __future__ import annotations

import gc
import threading
import weakref
from types import SimpleNamespace

import pytest
from channels.db import DatabaseSyncToAsync, database_sync_to_async
from channels.routing import URLRouter
from django.contrib.auth.models import AnonymousUser

from accounts import handshake
from accounts.handshake import SocketAuthMiddleware, take_preloaded
from chat import selectors
from chat.models import Room
from project.routing import websocket_urlpatterns
from tests.helpers.sessions import asession_cookie_for
from tests.helpers.sockets import TIMEOUT, communicator, open_room

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("general_room"),
]


@pytest.fixture
def trips(monkeypatch) -> list[tuple[str, int]]:
    """(what, trip number) for every session and room look-up; each trip to
    the database thread gets the next number."""
    seen: list[tuple[str, int]] = []
    here = threading.local()
    count = iter(range(1, 1_000_000))
    handler = DatabaseSyncToAsync.thread_handler

    def numbered(self, *args, **kwargs):
        here.trip = next(count)
        return handler(self, *args, **kwargs)

    def spy(name, fn):
        def wrapped(*args, **kwargs):
            seen.append((name, getattr(here, "trip", 0)))
            return fn(*args, **kwargs)

        return wrapped

    monkeypatch.setattr(DatabaseSyncToAsync, "thread_handler", numbered)
    monkeypatch.setattr(
        handshake, "session_user", spy("session", handshake.session_user)
    )
    monkeypatch.setattr(selectors, "room_lookup", spy("room", selectors.room_lookup))
    return seen


async def test_the_room_comes_in_the_sessions_trip(amake_user, trips):
    sock = await open_room(await amake_user())
    await sock.close()
    (session_trip,) = [trip for what, trip in trips if what == "session"]
    assert [trip for what, trip in trips if what == "room"] == [session_trip]


async def test_a_stranger_costs_no_room_look_up(trips):
    comm = communicator("/ws/chat/general/", session_key="no-such-session")
    connected, _ = await comm.connect(TIMEOUT)
    assert not connected
    assert [what for what, _ in trips] == ["session"]


async def test_a_refusal_from_the_preload_is_the_rule_as_before(amake_user, trips):
    owner, outsider, banned = await amake_user(), await amake_user(), await amake_user()

    @database_sync_to_async
    def rooms():
        Room.objects.create(slug="secret", name="Secret", private=True, owner=owner)
        Room.objects.create(slug="strict", name="Strict").banned.add(banned)

    await rooms()
    for user, slug, expected in (
        (outsider, "secret", ("not_found", 4404)),
        (banned, "strict", ("forbidden", 4403)),
    ):
        comm = communicator(f"/ws/chat/{slug}/", await asession_cookie_for(user))
        connected, _ = await comm.connect(TIMEOUT)
        assert connected
        error = await comm.receive_json_from(TIMEOUT)
        closed = await comm.receive_output(TIMEOUT)
        assert (error["code"], closed["code"]) == expected
    assert [what for what, _ in trips].count("room") == 2


async def test_without_the_preload_the_consumer_looks_the_room_up(amake_user, trips):
    app = SocketAuthMiddleware(URLRouter(websocket_urlpatterns))  # no preload
    user = await amake_user()
    comm = communicator(
        "/ws/chat/general/", await asession_cookie_for(user), application=app
    )
    connected, _ = await comm.connect(TIMEOUT)
    assert connected
    assert (await comm.receive_json_from(TIMEOUT))["type"] == "presence.state"
    await comm.disconnect()
    session_trip = next(trip for what, trip in trips if what == "session")
    (room_trip,) = [trip for what, trip in trips if what == "room"]
    assert room_trip != session_trip


def test_the_preloaded_result_is_taken_once_from_every_copy_of_the_scope():
    scope = {"user": AnonymousUser(), "preloaded": [object()]}
    copy = dict(scope, url_route={})
    assert take_preloaded(copy) is not None
    assert take_preloaded(scope) is None and take_preloaded({}) is None


async def test_a_preload_that_fails_leaves_the_look_up_to_the_consumer(
    amake_user, trips, monkeypatch
):
    def broken(*, slug, user):
        raise RuntimeError("database away for a moment")

    # chat.selectors as chat.routing sees it, with room_lookup broken.
    monkeypatch.setattr("chat.routing.selectors", SimpleNamespace(room_lookup=broken))
    sock = await open_room(await amake_user())
    await sock.close()
    assert [what for what, _ in trips].count("room") == 1  # the consumer's


async def test_nothing_keeps_a_preloaded_room_for_the_sockets_life(
    amake_user, monkeypatch
):
    # The room's relay keeps the first socket's Room; a later socket's own
    # copy must go once it is on the relay (1 KB a socket in scenario 11).
    first = await open_room(await amake_user())
    rooms: list[weakref.ref] = []

    def tracked(*, slug, user):
        found = real(slug=slug, user=user)
        rooms.append(weakref.ref(found.room))
        return found

    real = selectors.room_lookup
    monkeypatch.setattr(selectors, "room_lookup", tracked)
    second = await open_room(await amake_user())
    gc.collect()
    assert len(rooms) == 1 and rooms[0]() is None
    await second.close()
    await first.close()
