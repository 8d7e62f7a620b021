"""Losing access without a ban acts on open sockets at once (the hardening
issue's finding 5): a member removed in the admin or by leaving, or a room
switched to private, stops receiving, posting and paging."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from django.test import Client

from chat import memberships, services
from chat.models import Membership, Room, RoomKind
from realtime import codes
from tests.helpers.sockets import TIMEOUT, open_room, open_site, send_message

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("general_room"),
]


async def closed_with(sock, code: int) -> bool:
    """The socket ends with `code` (frames before the close are skipped)."""
    while True:
        output = await sock.comm.receive_output(TIMEOUT)
        if output["type"] == "websocket.close":
            return output.get("code") == code


@database_sync_to_async
def den(owner, *members, private=True):
    return services.room_create(
        owner=owner,
        name="Den",
        slug="den",
        private=private,
        members=[m.username for m in members],
    )


async def test_leaving_a_private_room_closes_its_sockets(amake_user):
    ada, bob = await amake_user("ada"), await amake_user("bob")
    room = await den(ada, bob)
    bob_sock, ada_sock = await open_room(bob, "den"), await open_room(ada, "den")
    await database_sync_to_async(memberships.leave)(room=room, user=bob)
    assert await closed_with(bob_sock, codes.NOT_FOUND)
    # Ada's socket stays and her messages no longer reach bob anywhere.
    await send_message(ada_sock, "still here")
    await ada_sock.close()


async def test_removing_a_member_in_the_admin_closes_their_sockets(amake_user):
    ada, bob = await amake_user("ada"), await amake_user("bob")
    staff = await amake_user("staff", is_staff=True, is_superuser=True)
    room = await den(ada, bob)
    bob_sock, bob_site = await open_room(bob, "den"), await open_site(bob)
    membership = await database_sync_to_async(Membership.objects.get)(
        room=room, user=bob
    )

    def remove_in_admin() -> int:
        client = Client()
        client.force_login(staff)
        rows = list(Membership.objects.filter(room=room).order_by("pk"))
        form = {
            "slug": "den",
            "name": "Den",
            "description": "",
            "kind": "private",
            "owner": ada.pk,
            "memberships-TOTAL_FORMS": str(len(rows)),
            "memberships-INITIAL_FORMS": str(len(rows)),
        }
        for n, row in enumerate(rows):
            form.update(
                {
                    f"memberships-{n}-id": row.pk,
                    f"memberships-{n}-room": room.pk,
                    f"memberships-{n}-user": row.user_id,
                    f"memberships-{n}-last_read": row.last_read,
                }
            )
            if row.pk == membership.pk:
                form[f"memberships-{n}-DELETE"] = "on"
        return client.post(f"/admin/chat/room/{room.pk}/change/", form).status_code

    assert await sync_to_async(remove_in_admin)() == 302
    assert not await database_sync_to_async(
        Membership.objects.filter(pk=membership.pk).exists
    )()
    assert await closed_with(bob_sock, codes.NOT_FOUND)
    assert {"type": "room.removed", "room": "den"} in await bob_site.frames()
    await bob_site.close()


async def test_a_room_made_private_closes_non_members_sockets(amake_user):
    ada, bob, eve = [await amake_user(n) for n in ("ada", "bob", "eve")]
    room = await den(ada, bob, private=False)
    eve_sock, bob_sock = await open_room(eve, "den"), await open_room(bob, "den")

    def make_private() -> None:
        room.kind = RoomKind.PRIVATE
        room.save()

    await database_sync_to_async(make_private)()
    assert await closed_with(eve_sock, codes.NOT_FOUND)
    ada_sock = await open_room(ada, "den")
    await send_message(ada_sock, "members only")
    assert (await bob_sock.recv_type("message"))["body"] == "members only"
    for sock in (ada_sock, bob_sock):
        await sock.close()


async def test_a_closed_socket_cannot_post_or_page(amake_user):
    ada, bob = await amake_user("ada"), await amake_user("bob")
    room = await den(ada, bob)
    bob_sock = await open_room(bob, "den")
    await database_sync_to_async(memberships.leave)(room=room, user=bob)
    assert await closed_with(bob_sock, codes.NOT_FOUND)
    # Reopening is refused the way a missing room is.
    from tests.helpers.sessions import asession_cookie_for
    from tests.helpers.sockets import communicator

    comm = communicator("/ws/chat/den/", await asession_cookie_for(bob))
    assert (await comm.connect(TIMEOUT))[0]
    frame = await comm.receive_json_from(TIMEOUT)
    assert frame["code"] == "not_found"
    assert (await comm.receive_output(TIMEOUT))["code"] == codes.NOT_FOUND
    count = await database_sync_to_async(
        lambda: Room.objects.get(slug="den").last_seq
    )()
    assert count == 0
