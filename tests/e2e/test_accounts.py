"""Accounts through the real pages: sign-up and log-in forms, and what each
kind of 4403 does to the chat page (PROTOCOL.md, Close codes): a ban, a
session that ended, a deactivated account; each has its own sentence and
next step, and the presence list empties when the socket ends for good."""

from __future__ import annotations

import re

from channels.db import database_sync_to_async
from playwright.async_api import expect

from accounts.models import User
from chat.services import room_create
from tests.helpers.browser import (
    E2E,
    logged_page,
    message,
    present,
    room_status,
    send,
    wait_connected,
    wait_until,
)

pytestmark = E2E
PASSWORD = "correct horse battery staple"
NEW_PASSWORD = "a brand new battery staple"


async def test_sign_up_then_log_in_through_the_forms(server, browsers):
    page = await browsers.page(server, path="/")
    await expect(page).to_have_url(re.compile(r"/accounts/login/"))

    await page.goto("/accounts/signup/")
    await page.locator("#id_username").fill("ada")
    await page.locator("#id_email").fill("ada@example.com")
    await page.locator("#id_password1").fill(PASSWORD)
    await page.locator("#id_password2").fill(PASSWORD)
    await page.get_by_role("button", name="Sign Up").click()
    # Straight into the chat, at general.
    await expect(page).to_have_url(f"{server.http_url}/rooms/general/")
    await wait_connected(page)

    await page.get_by_role("button", name="Log out").click()
    await expect(page).to_have_url(re.compile(r"/accounts/login/"))
    await page.locator("#id_login").fill("ada@example.com")  # email works too
    await page.locator("#id_password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign In").click()
    await expect(page).to_have_url(f"{server.http_url}/rooms/general/")
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
    room = await logged_page(browsers, server, ada_user)
    settings = await room.context.new_page()
    await settings.goto("/accounts/password/change/")
    await settings.locator("#id_oldpassword").fill(PASSWORD)
    await settings.locator("#id_password1").fill(NEW_PASSWORD)
    await settings.locator("#id_password2").fill(NEW_PASSWORD)
    await settings.get_by_role("button", name="Change Password").click()
    await expect(settings.locator(".flash")).to_contain_text("Password successfully")

    await wait_until(room, "window.__sockets.closes.includes(4403)")
    await wait_connected(room)
    await send(room, "still here")
    await expect(message(room, "still here")).to_have_count(1)
    # The first socket, the immediate retry and, when that left before the
    # new cookie arrived, one last attempt.
    assert await room.evaluate("window.__sockets.opened") in (2, 3)


async def test_a_ban_says_so_offers_other_rooms_and_empties_presence(
    server, browsers, make_user
):
    make = database_sync_to_async(make_user)
    ada_user, bob_user = await make("ada"), await make("bob")
    await database_sync_to_async(room_create)(
        owner=ada_user, name="Workshop", slug=None, private=False, members=[]
    )
    ada = await browsers.room(server, ada_user, "workshop")
    bob = await logged_page(browsers, server, bob_user, "workshop")
    await expect(present(bob)).to_have_text(["ada", "bob"])

    ada.once("dialog", lambda dialog: dialog.accept())
    await ada.get_by_role("button", name="Ban bob").click()
    await expect(bob.locator("#conn-status")).to_have_attribute("data-state", "closed")
    await expect(room_status(bob)).to_have_text(
        "You were banned from this room. Your other rooms still work."
    )
    await expect(bob.locator("#conn-next").get_by_role("link")).to_have_text(
        "Browse rooms"
    )
    await expect(bob.locator("#composer-input")).to_be_disabled()
    await expect(present(bob)).to_have_count(0)
    # The first socket and the one retry, both closed with 4403; no more.
    assert await bob.evaluate("[window.__sockets.opened, window.__sockets.closes]") == [
        2,
        [4403, 4403],
    ]
    await expect(present(ada)).to_have_text(["ada"])

    # Reopening the room: the styled 403 page, with a way on.
    response = await bob.reload()
    assert response.status == 403
    await expect(bob.get_by_role("heading", level=1)).to_have_text(
        "You cannot open this page"
    )
    await expect(bob.locator("main")).to_contain_text("You were banned from this room.")
    await bob.get_by_role("link", name="See the rooms you can open").click()
    await expect(bob).to_have_url(f"{server.http_url}/rooms/")


async def test_logging_out_elsewhere_offers_to_log_in_again(
    server, browsers, make_user
):
    ada_user = await database_sync_to_async(make_user)("ada")
    room = await logged_page(browsers, server, ada_user)
    other = await room.context.new_page()
    await other.goto("/rooms/")
    await other.get_by_role("button", name="Log out").click()

    await expect(room.locator("#conn-status")).to_have_attribute("data-state", "closed")
    await expect(room_status(room)).to_have_text(
        "You were logged out (in another tab, or your password was changed). "
        "Log in again to keep chatting."
    )
    await expect(room.get_by_role("link", name="Log in again")).to_have_attribute(
        "href", "/accounts/login/?next=%2Frooms%2Fgeneral%2F"
    )
    await expect(present(room)).to_have_count(0)
    assert await room.evaluate("window.__sockets.opened") == 2


def deactivate(user) -> None:
    User.objects.filter(pk=user.pk).update(is_active=False)
    # A save, as the admin does: live sockets check their session again.
    User.objects.get(pk=user.pk).save()


async def test_a_deactivated_user_is_told_so_in_the_room_and_on_the_login_page(
    server, browsers, make_user
):
    make = database_sync_to_async(make_user)
    ada_user = await make("ada", password=PASSWORD)
    bob = await browsers.room(server, await make("bob"))
    ada = await browsers.room(server, ada_user)
    await expect(present(bob)).to_have_text(["ada", "bob"])

    await database_sync_to_async(deactivate)(ada_user)
    await expect(ada.locator("#conn-status")).to_have_attribute("data-state", "closed")
    await expect(room_status(ada)).to_have_text(
        "Your account was deactivated, so you cannot chat any more. The login "
        "page says what to do."
    )
    await expect(present(ada)).to_have_count(0)
    await expect(present(bob)).to_have_text(["bob"])

    await ada.get_by_role("link", name="Go to the login page").click()
    alert = ada.get_by_role("alert")
    await expect(alert).to_contain_text("Your account was deactivated")
    await expect(alert).to_contain_text("An administrator deactivated the account ada")

    # With the right password, the page after the form says the same.
    await ada.locator("#id_login").fill("ada")
    await ada.locator("#id_password").fill(PASSWORD)
    await ada.get_by_role("button", name="Sign In").click()
    await expect(ada.get_by_role("heading", level=1)).to_have_text(
        "Your account was deactivated"
    )
    await expect(ada.locator("main")).to_contain_text("Your password is right")
