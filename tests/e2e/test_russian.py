"""The whole flow in Russian: a browser that asks for Russian gets the
pages, allauth's forms and the client in Russian, relative times from Intl
in Russian, no English left on screen, and can switch to English."""

from __future__ import annotations

import re

from channels.db import database_sync_to_async
from playwright.async_api import Page, expect

from tests.helpers.browser import E2E, message, present, send, wait_connected

pytestmark = E2E
PASSWORD = "correct horse battery staple"
# Latin words on screen that are not names people chose (room and user names,
# message bodies): anything found is a string that was never translated.
ENGLISH_LEFT = """(skip) => {
  const words = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    const parent = node.parentElement;
    if (!parent || parent.closest(skip) || !parent.checkVisibility()) continue;
    for (const word of node.textContent.match(/[A-Za-z]{2,}/g) || []) {
      words.push(`${word} (in ${parent.id || parent.className || parent.tagName})`);
    }
  }
  return words;
}"""
USER_TEXT = (
    ".msg-body, .author, .user-name, .side-name, #room-title-text, .avatar, "
    "[lang=en], script, .room-description, .room-about, strong, #announcer, "
    "a[href='/accounts/profile/']"
)
# Names of keys are the same in Russian; the people's and the room's names
# are theirs.
KEYS = {"Enter", "Shift", "Tab", "ada", "bob", "General", "example", "com"}


async def english_left(page: Page) -> list[str]:
    words = await page.evaluate(ENGLISH_LEFT, USER_TEXT)
    return [word for word in words if word.split(" ")[0] not in KEYS]


async def test_the_whole_flow_in_russian(server, browsers, make_user):
    make = database_sync_to_async(make_user)
    await make("ada", password=PASSWORD)
    bob = await browsers.room(server, await make("bob"), locale="ru-RU")

    page = await browsers.page(server, path="/", locale="ru-RU")
    await expect(page.locator("html")).to_have_attribute("lang", "ru")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Войти")
    words = await english_left(page)
    assert words == [], words
    await page.get_by_role("button", name="Войти").click()  # nothing filled in
    await expect(page.locator(".errorlist").first).to_be_visible()
    words = await english_left(page)
    assert words == [], words
    await page.locator("#id_login").fill("ada")
    await page.locator("#id_password").fill(PASSWORD)
    await page.get_by_role("button", name="Войти").click()

    await wait_connected(page)
    await expect(page.locator("#conn-text")).to_have_text("Подключено")
    await expect(page.get_by_label("Написать в «General»")).to_be_visible()
    await expect(present(page)).to_have_text(["ada", "bob"])
    await expect(page.locator("#present .you")).to_have_text("(вы)")
    await send(bob, "Привет, Ада!")
    reply = message(page, "Привет, Ада!")
    await expect(reply.locator("time")).to_have_text("только что")
    await expect(page.locator(".day-sep").last).to_have_text("Сегодня")
    await expect(page.locator("#history-status")).to_have_text("Это начало комнаты.")
    words = await english_left(page)
    assert words == [], words
    # The room menu and the @ list, open.
    await page.get_by_role("button", name="Комната", exact=True).click()
    await expect(page.get_by_role("menuitem").first).to_be_focused()
    words = await english_left(page)
    assert words == [], words
    await page.keyboard.press("Escape")
    await page.locator("#composer-input").press_sequentially("@b")
    await expect(page.locator("#mention-list")).to_be_visible()
    await page.locator("#composer-input").fill("")

    for path in ["/rooms/", "/accounts/profile/", "/accounts/password/change/",
                 "/no/such/page/"]:  # fmt: skip
        await page.goto(path)
        words = await english_left(page)
        assert words == [], (path, words)

    # The switcher: English from now on, by a cookie.
    await page.goto("/rooms/general/")
    await page.get_by_role("button", name="English").click()
    await wait_connected(page)
    await expect(page.locator("html")).to_have_attribute("lang", "en")
    await expect(page.locator("#conn-text")).to_have_text("Connected")
    await expect(page).to_have_url(re.compile(r"/rooms/general/$"))
