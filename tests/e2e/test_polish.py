"""Accessibility and polish of the room page: keyboard-only use, the live
region, a phone-sized screen, the unread count in the title, relative times
and avatars."""

from __future__ import annotations

import re
from datetime import timedelta

from channels.db import database_sync_to_async
from django.utils import timezone
from playwright.async_api import expect

from chat.models import Message
from chat.store import message_create
from tests.helpers.browser import E2E, PHONE, message, send

pytestmark = E2E

FOCUSED_ID = "document.activeElement && document.activeElement.id"
SET_HIDDEN = """(hidden) => {
  Object.defineProperty(document, "hidden", { configurable: true, get: () => hidden });
  Object.defineProperty(document, "visibilityState", {
    configurable: true, get: () => (hidden ? "hidden" : "visible"),
  });
  document.dispatchEvent(new Event("visibilitychange"));
}"""


async def test_keyboard_only_tab_to_the_input_enter_sends_focus_stays(
    server, browsers, make_user
):
    ada_user = await database_sync_to_async(make_user)("ada")
    page = await browsers.room(server, ada_user)
    await page.evaluate("document.activeElement.blur()")
    reached = []
    for _ in range(25):
        await page.keyboard.press("Tab")
        reached.append(await page.evaluate(FOCUSED_ID))
        if reached[-1] == "composer-input":
            break
    assert reached[-1] == "composer-input", reached

    await page.keyboard.type("line one")
    await page.keyboard.press("Shift+Enter")
    await page.keyboard.type("line two")
    await page.keyboard.press("Enter")
    sent = page.locator("#messages .msg-body")
    await expect(sent).to_have_text(["line one\nline two"])
    assert await page.evaluate(FOCUSED_ID) == "composer-input"
    await page.keyboard.type("and again")
    await page.keyboard.press("Enter")
    await expect(sent).to_have_text(["line one\nline two", "and again"])
    assert await page.evaluate(FOCUSED_ID) == "composer-input"
    await expect(page.locator("#composer-input")).to_have_value("")

    # Tab goes on to the send button, and the sidebar stays reachable.
    await page.keyboard.press("Tab")
    assert await page.evaluate(FOCUSED_ID) == "composer-send"


async def test_only_new_messages_are_announced_never_history(
    server, browsers, make_user, general_room
):
    make = database_sync_to_async(make_user)
    grace = await make("grace")
    await database_sync_to_async(seed_at_ages)(general_room, grace)
    ada = await browsers.room(server, await make("ada"))
    bob = await browsers.room(server, await make("bob"))
    announcer = ada.locator("#announcer")
    await expect(announcer).to_have_attribute("aria-live", "polite")
    # The list itself is no live region: loading history says nothing.
    await expect(ada.locator("#messages")).not_to_have_attribute("aria-live", "polite")
    await expect(ada.locator("#messages .msg")).to_have_count(3)
    await expect(announcer).to_have_text("")
    await expect(ada.locator("#conn-status")).to_have_attribute("role", "status")
    await expect(ada.locator("#conn-text")).to_have_text("Connected")

    await send(bob, "can you hear me?")
    await expect(message(ada, "can you hear me?")).to_have_count(1)
    await expect(announcer).to_have_text("bob: can you hear me?")
    # One's own messages are not read back.
    await send(ada, "loud and clear")
    await expect(message(ada, "loud and clear")).to_have_count(1)
    await expect(announcer).to_have_text("bob: can you hear me?")
    await expect(ada.get_by_label("Message General")).to_be_visible()


async def test_phone_width_has_no_sideways_scroll_and_keeps_the_input(
    server, browsers, make_user
):
    make = database_sync_to_async(make_user)
    long_name = "Augusta Ada King, Countess of Lovelace and Analyst"
    ada_user = await make("ada_lovelace_the_enchantress", display_name=long_name)
    bob = await browsers.room(server, await make("bob"))
    ada = await browsers.room(server, ada_user, viewport=PHONE)
    await send(bob, "x" * 300)
    await send(bob, "https://example.com/" + "very-long-path/" * 20)
    await send(ada, "A short answer")
    await expect(message(ada, "A short answer")).to_have_count(1)
    await expect(ada.locator("#messages .msg")).to_have_count(3)

    widths = await ada.evaluate(
        "[document.documentElement.scrollWidth, window.innerWidth]"
    )
    assert widths[0] <= widths[1], f"horizontal scroll at 375 px: {widths}"
    for element in ("#composer-input", "#composer-send", "#conn-status"):
        await expect(ada.locator(element)).to_be_in_viewport()
    box = await ada.locator("#composer-input").bounding_box()
    assert box["y"] + box["height"] <= PHONE["height"]
    assert box["width"] >= 200


async def test_unread_count_in_the_title_while_the_tab_is_hidden(
    server, browsers, make_user
):
    make = database_sync_to_async(make_user)
    ada = await browsers.room(server, await make("ada"))
    bob = await browsers.room(server, await make("bob"))
    await expect(ada).to_have_title("General · Chat")

    await ada.evaluate(SET_HIDDEN, True)
    await send(bob, "one")
    await expect(ada).to_have_title("(1) General · Chat")
    await send(bob, "two")
    await expect(ada).to_have_title("(2) General · Chat")
    # Sending moves one's read marker (PROTOCOL.md 1.1): nothing is unread.
    await send(ada, "my own message reads the room")
    await expect(message(ada, "my own message reads the room")).to_have_count(1)
    await expect(ada).to_have_title("General · Chat")
    await send(bob, "three")
    await expect(ada).to_have_title("(1) General · Chat")

    await ada.evaluate(SET_HIDDEN, False)
    await expect(ada).to_have_title("General · Chat")
    await expect(bob).to_have_title("General · Chat")


SEED_AGES = {
    "three days ago": timedelta(days=3),
    "two hours ago": timedelta(hours=2),
    "five minutes ago": timedelta(minutes=5),
}


def seed_at_ages(room, author) -> None:
    now = timezone.now()
    for body, age in SEED_AGES.items():
        stored, _ = message_create(room=room, author=author, body=body, client_id=None)
        Message.objects.filter(pk=stored.pk).update(created_at=now - age)


async def test_relative_times_day_separators_and_avatars(
    server, browsers, make_user, general_room
):
    make = database_sync_to_async(make_user)
    grace = await make("grace", display_name="Grace Brewster Hopper")
    await database_sync_to_async(seed_at_ages)(general_room, grace)
    ada = await browsers.room(server, await make("ada", display_name="Ada Lovelace"))
    await browsers.room(server, await make("bob"))
    await send(ada, "just said")

    def time_of(text):
        return message(ada, text).locator("time")

    await expect(time_of("five minutes ago")).to_have_text("5 minutes ago")
    await expect(time_of("two hours ago")).to_have_text("2 hours ago")
    await expect(time_of("three days ago")).to_have_text(re.compile(r"^\d\d:\d\d$"))
    await expect(time_of("just said")).to_have_text("just now")
    # The exact time is in the title and the datetime attribute.
    await expect(time_of("two hours ago")).to_have_attribute(
        "title", re.compile(r"\d{4}")
    )
    await expect(time_of("two hours ago")).to_have_attribute(
        "datetime", re.compile(r"^\d{4}-\d\d-\d\dT")
    )
    # One separator per calendar day (the browser runs in UTC); just after
    # midnight "two hours ago" is yesterday, so the count follows the clock.
    now = timezone.now()
    days = {(now - age).date() for age in SEED_AGES.values()} | {now.date()}
    separators = ada.locator("#messages .day-sep")
    await expect(separators).to_have_count(len(days))
    await expect(separators.last).to_have_text("Today")

    # Avatars: initials of the first and last word, or the first two letters.
    await expect(message(ada, "two hours ago").locator(".avatar")).to_have_text("GH")
    await expect(message(ada, "just said").locator(".avatar")).to_have_text("AL")
    await expect(ada.locator("#present .avatar")).to_have_text(["AL", "BO"])
    hues = await ada.locator("#present .avatar").evaluate_all(
        "items => items.map(item => getComputedStyle(item).backgroundColor)"
    )
    assert hues[0] != hues[1]
