"""Two people in one room, each in their own browser: messages both ways,
presence, typing, moderation, and user text that must stay text."""

from __future__ import annotations

import asyncio

from channels.db import database_sync_to_async
from playwright.async_api import expect

from chat.services import room_create
from tests.helpers.browser import E2E, message, present, send
from tests.helpers.sessions import asession_cookie_for

pytestmark = E2E


async def test_two_people_chat_both_ways(server, browsers, make_user):
    make = database_sync_to_async(make_user)
    ada = await browsers.room(server, await make("ada", display_name="Ada Lovelace"))
    bob = await browsers.room(server, await make("bob"))

    await send(ada, "Hello Bob!")
    await expect(message(bob, "Hello Bob!")).to_have_count(1)
    await expect(message(ada, "Hello Bob!")).to_have_class("msg own")
    await send(bob, "Hi Ada, how are the engines?")
    reply = message(ada, "Hi Ada, how are the engines?")
    await expect(reply).to_have_count(1)
    await expect(reply.locator(".author")).to_have_text("bob")
    await expect(message(bob, "Hello Bob!").locator(".author")).to_have_text(
        "Ada Lovelace"
    )
    for page in (ada, bob):
        await expect(page.locator("#messages .msg")).to_have_count(2)
        await expect(page.locator("#pending .msg")).to_have_count(0)
    await expect(present(ada)).to_have_text(["Ada Lovelace", "bob"])


async def test_presence_sidebar_shows_both_and_follows_a_closed_tab(
    server, browsers, make_user
):
    make = database_sync_to_async(make_user)
    ada = await browsers.room(server, await make("ada", display_name="Ada Lovelace"))
    await expect(present(ada)).to_have_text(["Ada Lovelace"])
    await expect(ada.locator("#present-count")).to_have_text("(1)")

    bob = await browsers.room(server, await make("bob"))
    await expect(present(ada)).to_have_text(["Ada Lovelace", "bob"])
    await expect(present(bob)).to_have_text(["Ada Lovelace", "bob"])
    await expect(ada.locator("#present-count")).to_have_text("(2)")
    await expect(bob.locator("#present .user", has_text="bob")).to_contain_text("(you)")

    await bob.close()
    await expect(present(ada)).to_have_text(["Ada Lovelace"])
    await expect(ada.locator("#present-count")).to_have_text("(1)")


# An init script: the room socket's presence frames, by type.
PRESENCE_LOG = """
window.__presence = {};
const PresenceNativeWebSocket = window.WebSocket;
window.WebSocket = class extends PresenceNativeWebSocket {
  constructor(...args) {
    super(...args);
    if (!String(args[0]).includes("/ws/chat/")) return;
    this.addEventListener("message", (event) => {
      const type = JSON.parse(event.data).type;
      if (type.startsWith("presence.")) {
        window.__presence[type] = (window.__presence[type] || 0) + 1;
      }
    });
  }
};
"""


async def test_a_crowd_entering_and_leaving_at_once_in_presence_diffs(
    server, browsers, make_user
):
    make = database_sync_to_async(make_user)
    ada_user = await make("ada")
    context = await browsers.context(server, ada_user)
    await context.add_init_script(PRESENCE_LOG)
    ada = await browsers.room(server, ada_user, context=context)
    await expect(present(ada)).to_have_text(["ada"])

    crowd = [await make(f"guest{n:02}") for n in range(20)]
    keys = [await asession_cookie_for(user) for user in crowd]
    sockets = await asyncio.gather(*(server.room_socket(key) for key in keys))
    names = ["ada"] + [user.username for user in crowd]
    await expect(present(ada)).to_have_text(names)
    await expect(ada.locator("#present-count")).to_have_text("(21)")
    # The page asked for diffs (README, Presence diffs): no frame per join.
    counts = await ada.evaluate("window.__presence")
    assert "presence.join" not in counts, counts
    assert counts.get("presence.diff", 0) >= 1, counts

    await asyncio.gather(*(ws.close() for ws, _ in sockets))
    await expect(present(ada)).to_have_text(["ada"])
    await expect(ada.locator("#present-count")).to_have_text("(1)")
    assert "presence.leave" not in await ada.evaluate("window.__presence")


async def test_typing_indicator_appears_and_disappears(server, browsers, make_user):
    make = database_sync_to_async(make_user)
    ada = await browsers.room(server, await make("ada"))
    bob = await browsers.room(server, await make("bob", display_name="Bob Babbage"))
    typing = ada.locator("#typing")
    box = bob.locator("#composer-input")

    await box.press_sequentially("Hel")
    await expect(typing).to_have_text("Bob Babbage is typing…")
    await expect(bob.locator("#typing")).to_have_text("")  # not echoed to oneself
    await box.fill("")  # emptied the box: stopped typing
    await expect(typing).to_have_text("")

    await box.press_sequentially("Hello")
    await expect(typing).to_have_text("Bob Babbage is typing…")
    await box.press("Enter")  # the message ends it
    await expect(message(ada, "Hello")).to_have_count(1)
    await expect(typing).to_have_text("")


async def test_markup_in_a_message_is_text_and_runs_nothing(
    server, browsers, make_user
):
    make = database_sync_to_async(make_user)
    ada = await browsers.room(server, await make("ada"))
    bob = await browsers.room(server, await make("bob"))
    dialogs = []
    for page in (ada, bob):
        page.on("dialog", lambda dialog: dialogs.append(dialog.message))

    hostile = [
        "<img src=x onerror=alert(1)>",
        "<script>alert(2)</script>",
        '<a href="javascript:alert(3)">click</a> javascript:alert(4)',
    ]
    for text in hostile:
        await send(bob, text)
    for page in (ada, bob):
        for text in hostile:
            await expect(message(page, text)).to_have_count(1)
        assert await page.locator("#messages img, #messages script").count() == 0
        assert await page.locator("#messages a").count() == 0  # no javascript: link

    # Rendered again from history, it is still text.
    await ada.reload()
    for text in hostile:
        await expect(message(ada, text)).to_have_count(1)
    assert await ada.locator("#messages img, #messages script").count() == 0
    # A failed <img> would have fired by now; give a stray timer one more turn.
    await ada.evaluate("() => new Promise((resolve) => setTimeout(resolve, 100))")
    assert dialogs == []


async def test_owner_deletes_a_message_and_it_vanishes_for_the_other(
    server, browsers, make_user
):
    make = database_sync_to_async(make_user)
    ada_user, bob_user = await make("ada"), await make("bob")
    await database_sync_to_async(room_create)(
        owner=ada_user, name="Workshop", slug=None, private=True, members=["bob"]
    )
    ada = await browsers.room(server, ada_user, "workshop")
    bob = await browsers.room(server, bob_user, "workshop")

    await send(bob, "keep this")
    await send(bob, "oops, wrong room")
    await expect(message(ada, "oops, wrong room")).to_have_count(1)
    # Bob may not moderate Ada's room: only his own messages offer Delete.
    await send(ada, "from the owner")
    await expect(message(bob, "from the owner")).to_have_count(1)
    await expect(message(bob, "from the owner").locator(".msg-delete")).to_have_count(0)

    confirms = []

    async def accept(dialog):
        confirms.append(dialog.message)
        await dialog.accept()

    ada.once("dialog", accept)
    # The actions show on hover (and on focus, and always on touch screens).
    await message(ada, "oops, wrong room").hover()
    await message(ada, "oops, wrong room").locator(".msg-delete").click()
    for page in (bob, ada):
        await expect(message(page, "oops, wrong room")).to_have_count(0)
        deleted = page.locator("#messages .msg.deleted")
        await expect(deleted).to_have_count(1)
        await expect(deleted.locator(".msg-body")).to_have_text(
            "This message was deleted."
        )
        await expect(message(page, "keep this")).to_have_count(1)
    assert confirms == ["Delete this message for everyone?"]
