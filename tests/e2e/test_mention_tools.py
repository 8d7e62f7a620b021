"""Writing to people (issue #13, browser part): `@` autocomplete in the
composer by keyboard (the ARIA combobox pattern), browser notifications
for mentions and direct messages while the tab is hidden (permission asked
only on a press), and a direct message started from a message author's
name."""

from __future__ import annotations

from channels.db import database_sync_to_async
from playwright.async_api import expect

from chat.dms import direct_room
from chat.services import room_create
from chat.store import message_create
from tests.helpers.browser import E2E, message, send, wait_until

pytestmark = E2E

# A stand-in for the Notification API that records what the page shows, and
# a tab the test can make hidden (document.hidden) without another window.
FAKE_NOTIFICATIONS = """
window.__notes = [];
window.__asked = 0;
window.__hidden = false;
class FakeNotification {
  constructor(title, options = {}) {
    this.title = title;
    this.body = options.body;
    window.__notes.push(this);
  }
  close() { this.closed = true; }
  static requestPermission() {
    window.__asked += 1;
    FakeNotification.permission = "granted";
    return Promise.resolve("granted");
  }
}
FakeNotification.permission = "default";
window.Notification = FakeNotification;
Object.defineProperty(Document.prototype, "hidden", {
  configurable: true, get() { return window.__hidden; },
});
Object.defineProperty(Document.prototype, "visibilityState", {
  configurable: true, get() { return window.__hidden ? "hidden" : "visible"; },
});
"""
NOTES = "window.__notes.map((note) => [note.title, note.body])"


def side_item(page, name: str):
    return page.locator("#sidebar .side-item").filter(
        has=page.locator(".side-name", has_text=name)
    )


def design_world(ada, bob, bobby):
    room = room_create(
        owner=ada, name="Design review", slug="design", private=False,
        members=["bob", "bobby"],
    )  # fmt: skip
    message_create(room=room, author=bob, body="morning", client_id=None)
    message_create(room=room, author=bobby, body="hi all", client_id=None)
    return room


async def test_autocomplete_by_keyboard_inserts_the_mention(
    server, browsers, make_user
):
    make = database_sync_to_async(make_user)
    ada_user, bob_user = await make("ada"), await make("bob", display_name="Bob B")
    bobby_user = await make("bobby")
    await database_sync_to_async(design_world)(ada_user, bob_user, bobby_user)
    ada = await browsers.room(server, ada_user, "design")
    bob = await browsers.room(server, bob_user)
    box = ada.locator("#composer-input")
    options = ada.get_by_role("listbox", name="People to mention").get_by_role("option")

    await box.press_sequentially("thanks @BO")
    await expect(options).to_have_count(2)
    await expect(options.first).to_contain_text("Bob B")
    await expect(box).to_have_attribute("aria-expanded", "true")
    await expect(box).to_have_attribute("aria-activedescendant", "mention-option-0")
    await box.press("ArrowDown")
    await expect(options.nth(1)).to_have_attribute("aria-selected", "true")
    await box.press("ArrowUp")
    await expect(options.first).to_have_attribute("aria-selected", "true")
    await box.press("Enter")  # accepts: nothing is sent
    await expect(box).to_have_value("thanks @bob ")
    await expect(box).to_have_attribute("aria-expanded", "false")
    await box.press_sequentially("look")
    await box.press("Enter")  # the list is closed: Enter sends
    await expect(box).to_have_value("")
    await expect(message(ada, "thanks @bob look")).to_have_count(1)
    mention = side_item(bob, "Design review").locator(".badge-mention")
    await expect(mention).to_contain_text("@1")

    # Escape dismisses; typing on offers again; Tab accepts.
    await box.press_sequentially("@bobb")
    await expect(options).to_have_count(1)
    await box.press("Escape")
    await expect(options).to_have_count(0)
    await expect(box).to_have_value("@bobb")
    await box.press_sequentially("y")
    await expect(options.locator(".mention-name")).to_have_text(["bobby"])
    await box.press("Tab")
    await expect(box).to_have_value("@bobby ")
    await expect(box).to_be_focused()


async def test_hidden_tab_notifies_mentions_and_direct_messages_only(
    server, browsers, make_user
):
    make = database_sync_to_async(make_user)
    ada_user, bob_user = await make("ada"), await make("bob")
    bobby_user = await make("bobby")
    await database_sync_to_async(design_world)(ada_user, bob_user, bobby_user)
    dm, _ = await database_sync_to_async(direct_room)(user=ada_user, username="bob")
    context = await browsers.context(server, bob_user, permissions=["notifications"])
    await context.add_init_script(FAKE_NOTIFICATIONS)
    bob = await browsers.room(server, bob_user, context=context)
    ada = await browsers.room(server, ada_user, "design")

    # Not asked on load: only on the reader's press.
    assert await bob.evaluate("window.__asked") == 0
    toggle = bob.get_by_role("button", name="Turn on notifications")
    await toggle.click()
    await expect(bob.locator("#notify-toggle")).to_have_text("Turn off notifications")
    assert await bob.evaluate("window.__asked") == 1

    design = side_item(bob, "Design review")
    await send(ada, "@bob while you look")  # the tab is visible: no notification
    await expect(design.locator(".badge-mention")).to_have_count(1)
    await bob.evaluate("window.__hidden = true")
    await send(ada, "an ordinary message")
    await expect(design.locator(".badge-unread")).to_contain_text("3 unread")
    await send(ada, "@bob are you there?")
    await wait_until(bob, "window.__notes.length === 1")
    await ada.get_by_role("link", name="bob").click()
    await send(ada, "psst")
    await wait_until(bob, "window.__notes.length === 2")
    assert await bob.evaluate(NOTES) == [
        ["ada mentioned you in Design review", "@bob are you there?"],
        ["Message from ada", "psst"],
    ]

    # Clicking one opens its room in the tab.
    await bob.evaluate("window.__hidden = false; window.__notes[1].onclick()")
    await expect(bob).to_have_url(f"{server.http_url}/rooms/{dm.slug}/")
    await expect(bob.locator("#room-title-text")).to_have_text("ada")
    assert await bob.evaluate("window.__notes[1].closed") is True


async def test_a_direct_message_from_an_authors_name(
    server, browsers, make_user, general_room
):
    make = database_sync_to_async(make_user)
    ada_user, bob_user = await make("ada"), await make("bob", display_name="Bob B")
    await database_sync_to_async(message_create)(
        room=general_room, author=bob_user, body="ping me", client_id=None
    )
    ada = await browsers.room(server, ada_user)
    mine = await browsers.room(server, bob_user)
    # One's own name is no button.
    await expect(message(mine, "ping me").locator("button.author")).to_have_count(0)
    name = message(ada, "ping me").get_by_role(
        "button", name="Bob B: send a direct message"
    )
    await message(ada, "ping me").focus()
    await ada.keyboard.press("Tab")
    await expect(name).to_be_focused()
    await ada.keyboard.press("Enter")
    low, high = sorted((ada_user.pk, bob_user.pk))
    await expect(ada).to_have_url(f"{server.http_url}/rooms/dm-{low}-{high}/")
    await expect(ada.locator("#room-title-text")).to_have_text("Bob B")
    direct = ada.locator("#sidebar [data-list=direct] .side-name")
    await expect(direct).to_have_text(["Bob B"])
