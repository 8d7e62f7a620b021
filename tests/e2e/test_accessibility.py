"""WCAG 2.2 AA, checked with axe-core (vendored by scripts/vendor-axe) on
every page of the product, in light and dark: no violation of the wcag2a,
wcag2aa, wcag21a, wcag21aa and wcag22aa rules."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from channels.db import database_sync_to_async
from django.template.loader import render_to_string
from playwright.async_api import Page, expect

from accounts.models import User
from chat.services import room_ban, room_create
from chat.store import message_create
from tests.helpers.browser import E2E, PHONE, send, wait_connected

pytestmark = E2E
AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
RUN_AXE = """async (tags) => {
  const result = await axe.run(document, {
    runOnly: { type: "tag", values: tags },
    resultTypes: ["violations"],
  });
  return result.violations.map((v) => ({
    id: v.id, help: v.help,
    nodes: v.nodes.map((n) => `${n.target.join(" ")}: ${n.failureSummary}`).slice(0, 5),
  }));
}"""


async def violations(page: Page) -> list[dict]:
    if not await page.evaluate("typeof axe !== 'undefined'"):
        await page.add_script_tag(path=str(AXE))
    return await page.evaluate(RUN_AXE, TAGS)


async def check(page: Page, name: str, found: dict) -> None:
    """axe on the page as it is, in the light scheme and in the dark one."""
    for scheme in ("light", "dark"):
        await page.emulate_media(color_scheme=scheme)
        result = await violations(page)
        if result:
            found[f"{name} ({scheme})"] = result
    await page.emulate_media(color_scheme="light")


def make_world(ada, bob) -> None:
    room = room_create(
        owner=ada, name="Workshop", slug=None, private=True, members=["bob"]
    )
    for n in range(1, 4):
        message_create(room=room, author=bob, body=f"hello {n} 👋", client_id=None)
    message_create(
        room=room, author=ada, body="see https://example.com", client_id=None
    )
    banned = room_create(owner=ada, name="Strict", slug=None, private=False, members=[])
    room_ban(room=banned, by=ada, username="bob")


async def test_every_page_has_no_axe_violations(server, browsers, make_user):
    make = database_sync_to_async(make_user)
    ada_user, bob_user = (
        await make("ada", display_name="Ada Lovelace"),
        await make("bob"),
    )
    await database_sync_to_async(make_world)(ada_user, bob_user)
    found: dict[str, list] = {}
    options = {"bypass_csp": True}

    anonymous = await browsers.page(server, path="/accounts/login/", **options)
    await check(anonymous, "login", found)
    await anonymous.locator("#id_login").fill("nobody")
    await anonymous.locator("#id_password").fill("wrong")
    await anonymous.get_by_role("button", name="Sign In").click()
    await expect(anonymous.locator(".errorlist, .form-errors").first).to_be_visible()
    await check(anonymous, "login with errors", found)
    for path in ["/accounts/signup/", "/accounts/password/reset/", "/no/such/page/"]:
        await anonymous.goto(path)
        await check(anonymous, path, found)
    await anonymous.goto("/accounts/signup/")
    await anonymous.locator("#id_username").fill("x")
    await anonymous.locator("#id_email").fill("not an email")
    await anonymous.get_by_role("button", name="Sign Up").click()
    await expect(anonymous.locator(".errorlist").first).to_be_visible()
    await check(anonymous, "signup with errors", found)
    # The 500 page as the server renders it, without a request.
    await anonymous.goto("/accounts/login/")
    await anonymous.set_content(render_to_string("500.html"))
    await check(anonymous, "500", found)

    ada = await browsers.room(server, ada_user, "workshop", **options)
    await send(ada, "a new one")
    await ada.locator("#messages .msg").last.focus()
    await check(ada, "chat page", found)
    # The room menu, the @ list and the edit dialog, open.
    await ada.get_by_role("button", name="Room", exact=True).click()
    await check(ada, "room menu", found)
    await ada.get_by_role("menuitem", name="Edit name and description").click()
    await ada.get_by_role("dialog").get_by_label("Name").fill("")
    await ada.get_by_role("dialog").get_by_role("button", name="Save").click()
    await expect(ada.locator("#room-edit-name-errors")).to_be_visible()
    await check(ada, "room edit dialog with errors", found)
    await ada.keyboard.press("Escape")
    # Closed, and focus handed back, before typing: under load the dialog's
    # focus return could land after the first keys and take them.
    await expect(ada.get_by_role("button", name="Room", exact=True)).to_be_focused()
    await ada.locator("#composer-input").press_sequentially("@b")
    await expect(ada.get_by_role("option")).to_have_count(1)
    await check(ada, "mention list", found)
    await ada.locator("#composer-input").press("Escape")
    await ada.locator("#composer-input").fill("")
    await ada.get_by_role("button", name="Room", exact=True).click()
    await ada.get_by_role("menuitem", name="Leave room").click()
    await expect(
        ada.get_by_role("dialog", name="Leave this private room?")
    ).to_be_visible()
    await check(ada, "leave dialog", found)
    await ada.keyboard.press("Escape")
    for path in ["/rooms/", "/accounts/profile/", "/accounts/password/change/",
                 "/accounts/email/", "/accounts/logout/"]:  # fmt: skip
        await ada.goto(path)
        await check(ada, path, found)
    await ada.goto("/rooms/")
    await ada.get_by_role("button", name="Create room").click()
    await expect(ada.locator("#room-name-errors")).to_be_visible()
    await check(ada, "room list with errors", found)

    bob = await browsers.page(server, bob_user, "/rooms/strict/", **options)
    await check(bob, "403", found)

    phone = await browsers.room(server, ada_user, "workshop", viewport=PHONE, **options)
    await phone.get_by_role("button", name="Rooms").click()
    await check(phone, "phone, rooms drawer", found)
    await phone.keyboard.press("Escape")
    await phone.get_by_role("button", name="Here now").click()
    await wait_connected(phone)
    await check(phone, "phone, members drawer", found)
    if found:
        pytest.fail(json.dumps(found, indent=1), pytrace=False)


async def test_deactivated_login_page_has_no_axe_violations(
    server, browsers, make_user
):
    ada_user = await database_sync_to_async(make_user)("ada")
    page = await browsers.page(server, ada_user, "/rooms/", bypass_csp=True)
    await database_sync_to_async(User.objects.filter(pk=ada_user.pk).update)(
        is_active=False
    )
    await page.goto("/accounts/login/")
    await expect(page.get_by_role("alert")).to_contain_text("deactivated")
    found: dict[str, list] = {}
    await check(page, "login, deactivated", found)
    assert not found, json.dumps(found, indent=1)
