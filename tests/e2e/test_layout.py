"""One page for chatting: the sidebar of one's rooms, switching rooms in
place (history API, no page load, one room socket at a time), Back and
Forward, the room list page for browsing, and the drawers on a phone."""

from __future__ import annotations

from channels.db import database_sync_to_async
from playwright.async_api import expect

from chat.services import room_create
from tests.helpers.browser import (
    E2E,
    PHONE,
    logged_page,
    message,
    present,
    send,
    wait_connected,
)

pytestmark = E2E
FOCUSED_ID = "document.activeElement && document.activeElement.id"


def make_rooms(ada, bob) -> None:
    room_create(
        owner=bob, name="Design review", slug=None, private=False, members=["ada"]
    )
    room_create(owner=ada, name="Secret plans", slug=None, private=True, members=[])
    room_create(owner=bob, name="Bob's den", slug=None, private=True, members=[])


def sidebar_names(page):
    return page.locator("#sidebar .side-name")


async def test_switching_rooms_in_place_with_back_and_forward(
    server, browsers, make_user
):
    make = database_sync_to_async(make_user)
    ada_user, bob_user = await make("ada"), await make("bob")
    await database_sync_to_async(make_rooms)(ada_user, bob_user)
    bob = await browsers.room(server, bob_user)
    ada = await logged_page(browsers, server, ada_user)
    # The rooms she is a member of (PROTOCOL.md 1.1): general, the public one
    # Bob added her to, her own private one; not Bob's private room.
    await expect(sidebar_names(ada)).to_have_text(
        ["Design review", "General", "Secret plans"]
    )
    current = ada.locator("#sidebar [aria-current=page] .side-name")
    await expect(current).to_have_text("General")
    await expect(present(bob)).to_have_text(["ada", "bob"])
    await send(ada, "in general")
    # A full page load would lose this mark.
    await ada.evaluate("window.__samePage = true")

    await ada.get_by_role("link", name="Design review").click()
    await expect(ada).to_have_url(f"{server.http_url}/rooms/design-review/")
    await expect(ada.locator("#room-title-text")).to_have_text("Design review")
    await expect(ada).to_have_title("Design review · Chat")
    await expect(current).to_have_text("Design review")
    await wait_connected(ada)
    await expect(ada.locator("#history-status")).to_have_text(
        "No messages yet. Say hello!"
    )
    await expect(ada.get_by_label("Message Design review")).to_be_focused()
    # One room socket at a time: leaving General is a leave there.
    await expect(present(bob)).to_have_text(["bob"])
    await expect(present(ada)).to_have_text(["ada"])
    await send(ada, "in design")
    await expect(message(ada, "in design")).to_have_count(1)
    await expect(message(ada, "in general")).to_have_count(0)

    await ada.go_back()
    await expect(ada).to_have_url(f"{server.http_url}/rooms/general/")
    await expect(ada.locator("#room-title-text")).to_have_text("General")
    await expect(message(ada, "in general")).to_have_count(1)
    await wait_connected(ada)
    await expect(present(bob)).to_have_text(["ada", "bob"])
    await send(bob, "welcome back")
    await expect(message(ada, "welcome back")).to_have_count(1)

    await ada.go_forward()
    await expect(ada.locator("#room-title-text")).to_have_text("Design review")
    await expect(message(ada, "in design")).to_have_count(1)
    assert await ada.evaluate("window.__samePage") is True
    # Every switch closed the socket it left: General, Design review,
    # General, and the one open now.
    assert await ada.evaluate("window.__sockets.opened") == 4

    # A reload opens the room the address names.
    await ada.reload()
    await wait_connected(ada)
    await expect(ada.locator("#room-title-text")).to_have_text("Design review")


async def test_the_room_list_page_is_kept_for_browsing(server, browsers, make_user):
    make = database_sync_to_async(make_user)
    ada_user, bob_user = await make("ada"), await make("bob")
    await database_sync_to_async(make_rooms)(ada_user, bob_user)
    ada = await browsers.room(server, ada_user)
    await ada.get_by_role("link", name="Browse rooms").click()
    await expect(ada).to_have_url(f"{server.http_url}/rooms/")
    rooms = ada.locator("#room-list .room-link")
    await expect(rooms).to_have_text(["Design review", "General", "Secret plans"])
    await rooms.filter(has_text="Design review").click()
    await wait_connected(ada)
    await expect(ada.locator("#room-title-text")).to_have_text("Design review")


async def test_on_a_phone_the_sidebar_and_who_is_here_are_drawers(
    server, browsers, make_user
):
    make = database_sync_to_async(make_user)
    ada_user, bob_user = await make("ada"), await make("bob")
    await database_sync_to_async(make_rooms)(ada_user, bob_user)
    await browsers.room(server, bob_user)
    ada = await browsers.room(server, ada_user, viewport=PHONE)
    sidebar, members = ada.locator("#sidebar"), ada.locator("#members")
    await expect(sidebar).not_to_be_in_viewport()
    await expect(members).not_to_be_in_viewport()
    for element in ("#composer-input", "#composer-send", "#conn-status"):
        await expect(ada.locator(element)).to_be_in_viewport()

    toggle = ada.get_by_role("button", name="Rooms")
    await expect(toggle).to_have_attribute("aria-expanded", "false")
    await toggle.click()
    await expect(toggle).to_have_attribute("aria-expanded", "true")
    await expect(sidebar).to_be_in_viewport(ratio=1)
    # Focus goes into the drawer, on the open room; Escape closes it again.
    await expect(sidebar.get_by_role("link", name="General")).to_be_focused()
    await ada.keyboard.press("Escape")
    await expect(sidebar).not_to_be_in_viewport()
    await expect(toggle).to_be_focused()

    await toggle.click()
    await sidebar.get_by_role("link", name="Secret plans").click()
    await expect(sidebar).not_to_be_in_viewport()
    await wait_connected(ada)
    await expect(ada.locator("#room-title-text")).to_have_text("Secret plans")
    # The room's name takes focus: no keyboard pops up on its own.
    assert await ada.evaluate(FOCUSED_ID) == "room-title"

    here = ada.get_by_role("button", name="Here now")
    await here.click()
    await expect(members).to_be_in_viewport(ratio=1)
    await expect(present(ada)).to_have_text(["ada"])
    # The owner of a private room adds members from the drawer.
    await expect(members.get_by_label("Username")).to_be_visible()
    await members.get_by_role("button", name="Close").click()
    await expect(members).not_to_be_in_viewport()
    await expect(here).to_be_focused()
    widths = await ada.evaluate(
        "[document.documentElement.scrollWidth, window.innerWidth]"
    )
    assert widths[0] <= widths[1], f"horizontal scroll at 375 px: {widths}"
