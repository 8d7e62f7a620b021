"""Rooms from the room list: creating a private room with the form, and its
owner letting someone in from the room page."""

from __future__ import annotations

import re

from channels.db import database_sync_to_async
from playwright.async_api import expect

from tests.helpers.browser import E2E, message, present, send, wait_connected

pytestmark = E2E


async def test_create_a_private_room_and_add_a_member(server, browsers, make_user):
    make = database_sync_to_async(make_user)
    ada_user, bob_user = await make("ada"), await make("bob")
    await make("carol")
    ada = await browsers.page(server, ada_user, "/rooms/")
    bob = await browsers.page(server, bob_user, "/rooms/")

    await ada.get_by_label("Name").fill("Secret plans")
    await ada.get_by_label("Private (members only)").check()
    await ada.get_by_role("button", name="Create room").click()
    await expect(ada).to_have_url(f"{server.http_url}/rooms/secret-plans/")
    await wait_connected(ada)
    # What shows (the hidden "muted" badge is no text of the heading).
    await expect(ada.locator("#room-title")).to_have_text(
        "Secret plans private", use_inner_text=True
    )

    # Not a member yet: the room looks like a missing one.
    response = await bob.goto("/rooms/secret-plans/")
    assert response.status == 404

    form = ada.locator("#add-member")
    await form.get_by_label("Username").fill("nobody")
    await form.get_by_role("button", name="Add").click()
    errors = ada.locator("#member-username-errors")
    await expect(errors).to_be_visible()
    await expect(errors).not_to_have_text("")
    await expect(form.get_by_label("Username")).to_have_attribute(
        "aria-invalid", "true"
    )

    await form.get_by_label("Username").fill("bob")
    await form.get_by_label("Username").press("Enter")
    await expect(ada.locator("#notices")).to_contain_text(
        "bob is now a member of this room."
    )
    await expect(errors).to_be_hidden()
    await expect(form.get_by_label("Username")).to_have_value("")

    await bob.goto("/rooms/")
    await expect(bob.locator("#room-list")).to_contain_text("Secret plans")
    await bob.get_by_role("link", name="Secret plans").click()
    await wait_connected(bob)
    # Only the owner is offered the control.
    await expect(bob.locator("#add-member")).to_be_hidden()
    await send(bob, "Thanks for having me")
    await expect(message(ada, "Thanks for having me")).to_have_count(1)
    await expect(present(ada)).to_have_text(["ada", "bob"])


async def test_public_rooms_have_no_member_control(server, browsers, make_user):
    ada_user = await database_sync_to_async(make_user)("ada")
    ada = await browsers.page(server, ada_user, "/rooms/")
    await ada.get_by_label("Name").fill("Open House")
    await ada.get_by_role("button", name="Create room").click()
    await expect(ada).to_have_url(re.compile(r"/rooms/open-house/$"))
    await wait_connected(ada)
    await expect(ada.locator("#add-member")).to_be_hidden()
