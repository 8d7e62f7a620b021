"""A long room: the page shows the latest messages and loads older ones as
the reader scrolls up, until the room's first message."""

from __future__ import annotations

from channels.db import database_sync_to_async
from playwright.async_api import expect

from chat.store import message_create
from tests.helpers.browser import E2E, seqs

pytestmark = E2E
SEEDED = 120


def seed(room, author, count: int) -> None:
    for n in range(1, count + 1):
        message_create(room=room, author=author, body=f"message {n}", client_id=None)


async def test_scrolling_up_loads_older_messages(
    server, browsers, make_user, general_room
):
    ada_user = await database_sync_to_async(make_user)("ada")
    await database_sync_to_async(seed)(general_room, ada_user, SEEDED)
    page = await browsers.room(server, ada_user)
    log = page.locator("#messages .msg")
    # The latest 50, the newest in view at the bottom.
    await expect(log).to_have_count(50)
    await expect(page.locator("#msg-120")).to_be_in_viewport()
    await expect(page.locator("#msg-70")).to_have_count(0)

    scroller = page.locator("#scroller")
    await scroller.hover()
    first = page.locator("#msg-1")
    for _ in range(20):
        if await first.count():
            break
        shown = await log.count()
        await page.mouse.wheel(0, -20_000)
        await expect(log).not_to_have_count(shown)
    await expect(first).to_have_count(1)
    await expect(first.locator(".msg-body")).to_have_text("message 1")
    await expect(page.locator("#history-status")).to_have_text(
        "This is the start of the room."
    )
    await expect(page.locator("#load-older")).to_be_hidden()
    assert await seqs(page) == list(range(1, SEEDED + 1))


async def test_load_older_button_works_from_the_keyboard(
    server, browsers, make_user, general_room
):
    ada_user = await database_sync_to_async(make_user)("ada")
    await database_sync_to_async(seed)(general_room, ada_user, 60)
    page = await browsers.room(server, ada_user)
    await expect(page.locator("#messages .msg")).to_have_count(50)
    button = page.get_by_role("button", name="Load older messages")
    await button.focus()
    await page.keyboard.press("Enter")
    await expect(page.locator("#msg-1")).to_have_count(1)
    assert await seqs(page) == list(range(1, 61))
