"""Accounts through the real pages: sign-up and log-in forms, and what a
session change does to the room socket (close code 4403)."""

from __future__ import annotations

import re

from channels.db import database_sync_to_async
from playwright.async_api import expect

from chat.services import room_create
from tests.helpers.browser import E2E, message, send, wait_connected

pytestmark = E2E
PASSWORD = "correct horse battery staple"
NEW_PASSWORD = "a brand new battery staple"

# Counts the sockets a page opens and how each one closed.
SOCKET_LOG = """
window.__sockets = { opened: 0, closes: [] };
const NativeWebSocket = window.WebSocket;
window.WebSocket = class extends NativeWebSocket {
  constructor(...args) {
    super(...args);
    window.__sockets.opened += 1;
    this.addEventListener("close", (event) => window.__sockets.closes.push(event.code));
  }
};
"""


async def test_sign_up_then_log_in_through_the_forms(server, browsers):
    page = await browsers.page(server, path="/")
    await expect(page).to_have_url(re.compile(r"/accounts/login/"))

    await page.goto("/accounts/signup/")
    await page.locator("#id_username").fill("ada")
    await page.locator("#id_email").fill("ada@example.com")
    await page.locator("#id_password1").fill(PASSWORD)
    await page.locator("#id_password2").fill(PASSWORD)
    await page.locator("form button[type=submit]").click()
    await expect(page).to_have_url(f"{server.http_url}/")
    await expect(page.locator("main")).to_contain_text("Welcome, ada.")

    await page.get_by_role("button", name="Log out").click()
    await expect(page).to_have_url(re.compile(r"/accounts/login/"))
    await expect(page.locator("#id_login")).to_be_visible()

    await page.locator("#id_login").fill("ada@example.com")  # email works too
    await page.locator("#id_password").fill(PASSWORD)
    await page.locator("form button[type=submit]").click()
    await expect(page).to_have_url(f"{server.http_url}/")
    await expect(page.locator("main")).to_contain_text("Welcome, ada.")

    # The session the form made is good for the room and its socket.
    await page.get_by_role("link", name="General").click()
    await wait_connected(page)
    await send(page, "signed up and in")
    await expect(message(page, "signed up and in")).to_have_count(1)


async def test_a_password_change_keeps_the_own_browser_chatting(
    server, browsers, make_user
):
    # Django rotates the session key on a password change: the changing
    # browser's sockets get 4403 although its new cookie is valid. The client
    # tries once more at once and carries on.
    ada_user = await database_sync_to_async(make_user)("ada", password=PASSWORD)
    context = await browsers.context(server, ada_user)
    await context.add_init_script(SOCKET_LOG)
    room = await browsers.room(server, ada_user, context=context)
    settings = await context.new_page()
    await settings.goto("/accounts/password/change/")
    await settings.locator("#id_oldpassword").fill(PASSWORD)
    await settings.locator("#id_password1").fill(NEW_PASSWORD)
    await settings.locator("#id_password2").fill(NEW_PASSWORD)
    await settings.get_by_role("button", name="Change Password").click()
    await expect(settings.locator(".flash")).to_contain_text("Password successfully")

    await room.wait_for_function("window.__sockets.closes.includes(4403)")
    await wait_connected(room)
    await send(room, "still here")
    await expect(message(room, "still here")).to_have_count(1)
    # The first socket, the immediate retry and, when that left before the
    # new cookie arrived, one last attempt.
    assert await room.evaluate("window.__sockets.opened") in (2, 3)


async def test_a_ban_ends_the_room_after_one_retry(server, browsers, make_user):
    make = database_sync_to_async(make_user)
    ada_user, bob_user = await make("ada"), await make("bob")
    await database_sync_to_async(room_create)(
        owner=ada_user, name="Workshop", slug=None, private=False, members=[]
    )
    ada = await browsers.room(server, ada_user, "workshop")
    bob_context = await browsers.context(server, bob_user)
    await bob_context.add_init_script(SOCKET_LOG)
    bob = await browsers.room(server, bob_user, "workshop", context=bob_context)

    async def accept(dialog):
        await dialog.accept()

    ada.once("dialog", accept)
    await ada.get_by_role("button", name="Ban bob").click()
    await expect(bob.locator("#conn-status")).to_have_attribute("data-state", "closed")
    await expect(bob.locator("#conn-text")).to_have_text(
        "You can no longer take part in this room (you were banned, or your "
        "session ended)."
    )
    await expect(bob.locator("#composer-input")).to_be_disabled()
    # The first socket and the one retry, both closed with 4403; no more.
    assert await bob.evaluate("window.__sockets") == {
        "opened": 2,
        "closes": [4403, 4403],
    }
    await expect(ada.locator("#present .user-name")).to_have_text(["ada"])


async def test_logging_out_elsewhere_offers_to_log_in_again(
    server, browsers, make_user
):
    ada_user = await database_sync_to_async(make_user)("ada")
    context = await browsers.context(server, ada_user)
    await context.add_init_script(SOCKET_LOG)
    room = await browsers.room(server, ada_user, context=context)
    other = await context.new_page()
    await other.goto("/")
    await other.get_by_role("button", name="Log out").click()

    await expect(room.locator("#conn-status")).to_have_attribute("data-state", "closed")
    await expect(room.locator("#conn-text")).to_contain_text("You were logged out.")
    await expect(room.get_by_role("link", name="Log in")).to_have_attribute(
        "href", "/accounts/login/?next=%2Frooms%2Fgeneral%2F"
    )
    assert await room.evaluate("window.__sockets.opened") == 2
