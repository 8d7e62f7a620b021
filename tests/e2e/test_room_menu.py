"""The room menu in the room header (PROTOCOL.md 1.1): mute and unmute,
leave, and the owner's "Edit name and description" with its errors beside
the fields; a rename shows at once in the other people's header and
sidebar (room.updated); a member who is not the owner has no edit item."""

from __future__ import annotations

from channels.db import database_sync_to_async
from playwright.async_api import expect

from chat.services import room_create
from tests.helpers.browser import E2E, send

pytestmark = E2E


def side_item(page, name: str):
    return page.locator("#sidebar .side-item").filter(
        has=page.locator(".side-name", has_text=name)
    )


async def make_design(make_user):
    make = database_sync_to_async(make_user)
    ada_user, bob_user = await make("ada"), await make("bob")
    await database_sync_to_async(room_create)(
        owner=ada_user, name="Design review", slug="design", private=False,
        members=["bob"],
    )  # fmt: skip
    return ada_user, bob_user


async def open_menu(page):
    button = page.get_by_role("button", name="Room", exact=True)
    await button.click()
    await expect(button).to_have_attribute("aria-expanded", "true")
    return page.get_by_role("menu", name="Room")


async def test_the_owner_renames_and_everyone_sees_it(server, browsers, make_user):
    ada_user, bob_user = await make_design(make_user)
    ada = await browsers.room(server, ada_user, "design")
    bob = await browsers.room(server, bob_user, "design")

    menu = await open_menu(bob)
    await expect(menu.get_by_role("menuitem")).to_have_text(["Mute room", "Leave room"])
    await bob.keyboard.press("Escape")
    await expect(menu).to_be_hidden()
    await expect(bob.get_by_role("button", name="Room", exact=True)).to_be_focused()

    # By keyboard: Down opens on the first item, End goes to the last.
    await ada.get_by_role("button", name="Room", exact=True).focus()
    await ada.keyboard.press("ArrowDown")
    menu = ada.get_by_role("menu", name="Room")
    await expect(menu.get_by_role("menuitem", name="Mute room")).to_be_focused()
    await ada.keyboard.press("End")
    await expect(menu.get_by_role("menuitem", name="Leave room")).to_be_focused()
    await menu.get_by_role("menuitem", name="Edit name and description").click()
    dialog = ada.get_by_role("dialog", name="Edit name and description")
    name = dialog.get_by_label("Name")
    await expect(name).to_be_focused()
    await expect(name).to_have_value("Design review")
    await name.fill("")
    await dialog.get_by_role("button", name="Save").click()
    await expect(ada.locator("#room-edit-name-errors")).to_have_text("Fill this in.")
    await expect(name).to_have_attribute("aria-invalid", "true")
    await name.fill("Design crit")
    await dialog.get_by_label("Description").fill("Fridays at ten")
    await dialog.get_by_role("button", name="Save").click()
    await expect(dialog).to_be_hidden()
    await expect(ada.locator("#room-title-text")).to_have_text("Design crit")

    await expect(bob.locator("#room-title-text")).to_have_text("Design crit")
    await expect(bob.locator("#room-description")).to_have_text("Fridays at ten")
    await expect(side_item(bob, "Design crit")).to_have_count(1)
    await expect(bob).to_have_title("Design crit · Chat")


async def test_mute_then_leave(server, browsers, make_user):
    ada_user, bob_user = await make_design(make_user)
    ada = await browsers.room(server, ada_user, "design")
    bob = await browsers.room(server, bob_user, "design")

    menu = await open_menu(bob)
    await menu.get_by_role("menuitem", name="Mute room").click()
    item = side_item(bob, "Design review")
    await expect(item.locator(".badge-muted")).to_have_count(1)
    await expect(bob.locator("#room-muted")).to_have_text("muted")
    await bob.get_by_role("link", name="General").click()
    await send(ada, "an ordinary message")
    await send(ada, "@bob but this one")
    await expect(item.locator(".badge-mention")).to_contain_text("@1")
    await expect(item.locator(".badge-unread")).to_have_count(0)
    # It stays muted: the server keeps it.
    await bob.reload()
    await bob.get_by_role("link", name="Design review").click()
    menu = await open_menu(bob)
    await expect(menu.get_by_role("menuitem", name="Unmute room")).to_be_visible()

    await menu.get_by_role("menuitem", name="Leave room").click()
    await expect(bob).to_have_url(f"{server.http_url}/rooms/general/")
    await expect(side_item(bob, "Design review")).to_have_count(0)
    await expect(bob.locator("#notices")).to_contain_text("You left Design review.")


async def test_leaving_a_private_room_is_asked_first(server, browsers, make_user):
    make = database_sync_to_async(make_user)
    ada_user, bob_user = await make("ada"), await make("bob")
    await database_sync_to_async(room_create)(
        owner=ada_user, name="Release", slug="release", private=True, members=["bob"]
    )
    bob = await browsers.room(server, bob_user, "release")
    dialog = bob.get_by_role("dialog", name="Leave this private room?")
    menu = await open_menu(bob)
    await menu.get_by_role("menuitem", name="Leave room").click()
    await expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()
    await bob.keyboard.press("Escape")
    await expect(dialog).to_be_hidden()
    await expect(bob.get_by_role("button", name="Room", exact=True)).to_be_focused()
    await expect(side_item(bob, "Release")).to_have_count(1)

    menu = await open_menu(bob)
    await menu.get_by_role("menuitem", name="Leave room").click()
    await dialog.get_by_role("button", name="Leave room").click()
    await expect(bob).to_have_url(f"{server.http_url}/rooms/general/")
    await expect(side_item(bob, "Release")).to_have_count(0)
