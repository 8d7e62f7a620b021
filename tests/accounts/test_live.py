"""Account changes reach live sockets: 4403 on deactivation, logout and
password change (PROTOCOL.md, Close codes)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys

import pytest
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from django.test import Client

from project.settings import BASE_DIR
from tests.helpers.servers import ServerProcess, database_url_for_tests
from tests.helpers.sessions import session_cookie_for
from tests.helpers.sockets import TIMEOUT, communicator, open_room

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("general_room"),
]
PASSWORD = "correct horse battery staple"


async def closed_with(sock, timeout: float = TIMEOUT) -> int:
    """The close code the server sends next, skipping other frames."""
    async with asyncio.timeout(timeout):
        while True:
            output = await sock.comm.receive_output(timeout)
            if output["type"] == "websocket.close":
                return output["code"]


def logged_in_client(user) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


async def test_deactivation_closes_every_socket_and_others_see_the_leave(make_user):
    ada = await database_sync_to_async(make_user)("ada")
    bob = await database_sync_to_async(make_user)("bob")
    watcher = await open_room(bob)
    first, second = await open_room(ada), await open_room(ada)
    assert (await watcher.recv_type("presence.join"))["user"]["username"] == "ada"

    ada.is_active = False
    await database_sync_to_async(ada.save)()

    assert await closed_with(first) == 4403
    assert await closed_with(second) == 4403
    leave = await watcher.recv_type("presence.leave")
    assert leave["user"]["username"] == "ada"
    for sock in (first, second, watcher):
        await sock.close()


async def test_logout_closes_that_sessions_socket_only(make_user):
    ada = await database_sync_to_async(make_user)("ada", password=PASSWORD)
    phone, laptop = (
        await sync_to_async(logged_in_client)(ada),
        await sync_to_async(logged_in_client)(ada),
    )
    on_phone = await open_room(ada, session_key=phone.cookies["sessionid"].value)
    on_laptop = await open_room(ada, session_key=laptop.cookies["sessionid"].value)

    await sync_to_async(phone.post)("/accounts/logout/")

    assert await closed_with(on_phone) == 4403
    await on_laptop.send({"type": "ping"})
    assert await on_laptop.recv_type("pong") == {"type": "pong"}
    await on_phone.close()
    await on_laptop.close()


async def test_password_change_ends_other_sessions_sockets(make_user):
    ada = await database_sync_to_async(make_user)("ada", password=PASSWORD)
    here, elsewhere = (
        await sync_to_async(logged_in_client)(ada),
        await sync_to_async(logged_in_client)(ada),
    )
    sock_here = await open_room(ada, session_key=here.cookies["sessionid"].value)
    sock_elsewhere = await open_room(
        ada, session_key=elsewhere.cookies["sessionid"].value
    )
    new = "a different long passphrase"
    response = await sync_to_async(here.post)(
        "/accounts/password/change/",
        {"oldpassword": PASSWORD, "password1": new, "password2": new},
    )
    assert response.status_code == 302

    assert await closed_with(sock_elsewhere) == 4403
    # Django rotates the changing session's key too, so its socket ends as
    # well; that browser holds the new cookie and is let straight back in,
    # the other session is refused at the handshake.
    assert await closed_with(sock_here) == 4403
    again = await open_room(ada, session_key=here.cookies["sessionid"].value)
    await again.close()
    refused = communicator("/ws/chat/general/", elsewhere.cookies["sessionid"].value)
    assert not (await refused.connect(TIMEOUT))[0]
    await refused.disconnect()
    await sock_here.close()
    await sock_elsewhere.close()


async def test_a_last_login_save_does_not_disturb_sockets(make_user):
    ada = await database_sync_to_async(make_user)("ada", password=PASSWORD)
    sock = await open_room(ada)
    await sync_to_async(logged_in_client)(ada)  # saves last_login only
    await sock.send({"type": "ping"})
    assert await sock.recv_type("pong") == {"type": "pong"}
    await sock.close()


@pytest.mark.slow
async def test_deactivation_from_another_process_reaches_two_server_processes(
    make_user,
):
    ada = await database_sync_to_async(make_user)("ada")
    bob = await database_sync_to_async(make_user)("bob")
    servers = [ServerProcess().start(), ServerProcess().start()]
    try:
        ada_key = await sync_to_async(session_cookie_for)(ada)
        bob_key = await sync_to_async(session_cookie_for)(bob)

        watcher, _ = await servers[0].room_socket(bob_key)
        ada_sockets = [(await s.room_socket(ada_key))[0] for s in servers]
        # As `manage.py shell` would: a separate process, the ORM, save().
        script = (
            "from accounts.models import User; "
            "u = User.objects.get(username='ada'); u.is_active = False; u.save()"
        )
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.settings",
            "DATABASE_URL": await sync_to_async(database_url_for_tests)(),
        }
        await asyncio.to_thread(
            subprocess.run,
            [sys.executable, "manage.py", "shell", "-c", script],
            cwd=BASE_DIR,
            env=env,
            check=True,
            timeout=60,
        )
        for ws in ada_sockets:
            async with asyncio.timeout(5):
                while True:
                    try:
                        await ws.recv()
                    except Exception:
                        break
            assert ws.close_code == 4403
        async with asyncio.timeout(5):
            while True:
                frame = json.loads(await watcher.recv())
                if frame["type"] == "presence.leave":
                    assert frame["user"]["username"] == "ada"
                    break
        await watcher.close()
    finally:
        for server in servers:
            server.stop()
