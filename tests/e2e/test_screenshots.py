"""The README's screenshots: the room page with two people chatting, on a
desktop and on a phone. Taken on every run (so the pages render at both
sizes); written to docs/ with UPDATE_SCREENSHOTS=1."""

from __future__ import annotations

import os
from pathlib import Path

from channels.db import database_sync_to_async
from playwright.async_api import expect

from tests.helpers.browser import DESKTOP, E2E, PHONE, message, send

pytestmark = E2E
DOCS = Path(__file__).resolve().parents[2] / "docs"

CONVERSATION = [
    ("ada", "Morning! Did the new build pass overnight?"),
    ("grace", "It did. 412 tests, all green, and the flaky presence one is fixed."),
    ("ada", "Lovely. What was wrong with it?"),
    (
        "grace",
        "A socket could close between the join and the first heartbeat, so "
        "the leave went out twice. The Lua script checks both now.",
    ),
    ("ada", "Nice catch! Notes are at https://example.com/notes/presence"),
]


async def test_screenshots_of_two_people_chatting(
    server, browsers, make_user, tmp_path
):
    make = database_sync_to_async(make_user)
    ada_user = await make("ada", display_name="Ada Lovelace")
    grace_user = await make("grace", display_name="Grace Hopper")
    pages = {
        "ada": await browsers.room(server, ada_user),
        "grace": await browsers.room(server, grace_user),
    }
    for who, text in CONVERSATION:
        await send(pages[who], text)
        for page in pages.values():
            await expect(message(page, text)).to_have_count(1)
    # Grace starts an answer: Ada sees her typing.
    await pages["grace"].locator("#composer-input").press_sequentially("Will do")
    await expect(pages["ada"].locator("#typing")).to_have_text(
        "Grace Hopper is typing…"
    )

    target = DOCS if os.environ.get("UPDATE_SCREENSHOTS") else tmp_path
    target.mkdir(exist_ok=True)
    ada = pages["ada"]
    for name, size in [("desktop", DESKTOP), ("phone", PHONE)]:
        await ada.set_viewport_size(size)
        await ada.locator("#composer-input").focus()
        await ada.evaluate("document.getElementById('scroller').scrollTop = 1e9")
        path = target / f"screenshot-room-{name}.png"
        await ada.screenshot(path=str(path))
        assert path.stat().st_size > 10_000
