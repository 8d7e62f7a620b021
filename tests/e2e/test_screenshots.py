"""The README's screenshots: the chat page with two people talking, on a
desktop with the sidebar, on a phone with the rooms drawer open, in dark
mode, and in Russian. Taken on every run (so the page renders in all four);
written to docs/ with UPDATE_SCREENSHOTS=1."""

from __future__ import annotations

import os
from pathlib import Path

from channels.db import database_sync_to_async
from playwright.async_api import expect

from chat.services import room_create
from tests.helpers.browser import E2E, PHONE, message, send

pytestmark = E2E
DOCS = Path(__file__).resolve().parents[2] / "docs"

CONVERSATION = [
    ("ada", "Morning! Did the new build pass overnight? ☀️"),
    ("grace", "It did. 412 tests, all green, and the flaky presence one is fixed 🎉"),
    ("grace", "A socket could close between the join and the first heartbeat."),
    ("ada", "Lovely. Notes are at https://example.com/notes/presence 👍"),
]
RUSSIAN = [
    ("ada", "Доброе утро! Сборка прошла ночью? ☀️"),
    ("grace", "Да, все 412 тестов зелёные 🎉"),
    ("ada", "Отлично, спасибо!"),
]


def make_rooms(ada) -> None:
    room_create(owner=ada, name="Design review", slug=None, private=False, members=[])
    room_create(owner=ada, name="Release 2.0", slug=None, private=True, members=[])


async def talk(pages, lines) -> None:
    for who, text in lines:
        await send(pages[who], text)
        for page in pages.values():
            await expect(message(page, text)).to_have_count(1)


async def shoot(page, path: Path) -> None:
    await page.evaluate("document.getElementById('scroller').scrollTop = 1e9")
    assert len(await page.screenshot(path=str(path))) > 10_000


async def test_screenshots_of_the_chat_page(server, browsers, make_user, tmp_path):
    make = database_sync_to_async(make_user)
    ada_user = await make("ada", display_name="Ada Lovelace")
    grace_user = await make("grace", display_name="Grace Hopper")
    await database_sync_to_async(make_rooms)(ada_user)
    target = DOCS if os.environ.get("UPDATE_SCREENSHOTS") else tmp_path
    target.mkdir(exist_ok=True)

    pages = {
        "ada": await browsers.room(server, ada_user),
        "grace": await browsers.room(server, grace_user),
    }
    await talk(pages, CONVERSATION)
    await pages["grace"].locator("#composer-input").press_sequentially("Will do")
    ada = pages["ada"]
    await expect(ada.locator("#typing")).to_have_text("Grace Hopper is typing…")
    await expect(ada.locator("#sidebar .side-link")).to_have_count(3)
    await ada.locator("#composer-input").focus()
    await shoot(ada, target / "screenshot-chat-desktop.png")

    await ada.emulate_media(color_scheme="dark")
    await shoot(ada, target / "screenshot-chat-dark.png")
    await ada.emulate_media(color_scheme="light")

    phone = await browsers.room(server, ada_user, viewport=PHONE)
    await phone.get_by_role("button", name="Rooms").click()
    await expect(phone.locator("#sidebar")).to_be_in_viewport()
    await phone.wait_for_timeout(300)  # the drawer's slide
    await shoot(phone, target / "screenshot-chat-phone-drawer.png")

    russian = {
        who: await browsers.room(server, user, locale="ru-RU")
        for who, user in (("ada", ada_user), ("grace", grace_user))
    }
    await talk(russian, RUSSIAN)
    await expect(russian["ada"].locator("#conn-text")).to_have_text("Подключено")
    await russian["ada"].locator("#composer-input").focus()
    await shoot(russian["ada"], target / "screenshot-chat-russian.png")
