"""Keyboard only: the message list is one Tab stop with arrow keys between
messages (a roving tabindex), a message's actions are reachable from it, and
after every action focus lands on something sensible, never on <body>."""

from __future__ import annotations

from channels.db import database_sync_to_async
from playwright.async_api import expect

from chat.store import message_create
from tests.helpers.browser import E2E, message

pytestmark = E2E
FOCUSED = """() => {
  const element = document.activeElement;
  if (!element || element === document.body) return "body";
  return element.id || element.tagName;
}"""
# Records every element that takes focus, to prove none of it was <body>.
FOCUS_LOG = """
window.__focusLog = [];
document.addEventListener("focusout", () => setTimeout(() => {
  const element = document.activeElement;
  window.__focusLog.push(!element || element === document.body ? "body" : "ok");
}), true);
"""


def seed(room, author, count: int) -> None:
    for n in range(1, count + 1):
        message_create(room=room, author=author, body=f"message {n}", client_id=None)


async def tab_until(page, target: str, limit: int = 40) -> list[str]:
    reached = []
    for _ in range(limit):
        await page.keyboard.press("Tab")
        reached.append(await page.evaluate(FOCUSED))
        if reached[-1] == target:
            return reached
    raise AssertionError(f"Tab never reached {target}: {reached}")


async def test_keyboard_only_messages_delete_and_older(
    server, browsers, make_user, general_room
):
    ada_user = await database_sync_to_async(make_user)("ada")
    await database_sync_to_async(seed)(general_room, ada_user, 120)
    context = await browsers.context(server, ada_user)
    await context.add_init_script(FOCUS_LOG)
    page = await browsers.room(server, ada_user, context=context)
    await expect(page.locator("#messages .msg")).to_have_count(50)
    page.on("dialog", lambda dialog: dialog.accept())

    # From the top of the page: the header, the sidebar, "Load older
    # messages" (in view, so the next page loads), then the list.
    await page.locator(".skip-link").focus()
    reached = await tab_until(page, "load-older")
    # Focus scrolled it into view: the next page loads (the scroll event;
    # tabbing on at once could scroll back down before it fired).
    await expect(page.locator("#messages .msg")).to_have_count(100)
    reached += await tab_until(page, "msg-120")
    # One Tab stop for the whole list: no message but the current one.
    assert [stop for stop in reached if stop.startswith("msg-")] == ["msg-120"]
    await page.keyboard.press("ArrowUp")
    assert await page.evaluate(FOCUSED) == "msg-119"
    await page.keyboard.press("PageUp")
    assert await page.evaluate(FOCUSED) == "msg-109"
    await page.keyboard.press("End")
    assert await page.evaluate(FOCUSED) == "msg-120"
    await page.keyboard.press("PageUp")
    await page.keyboard.press("PageDown")
    await page.keyboard.press("ArrowUp")

    # Arrows move between messages; the actions of the focused one are a Tab
    # away, and only its own.
    await page.keyboard.press("ArrowUp")
    assert await page.evaluate(FOCUSED) == "msg-118"
    focused = page.locator("#msg-118")
    await expect(
        focused.get_by_role("button", name="Delete message from ada")
    ).to_be_visible()
    delete = focused.get_by_role("button", name="Delete message from ada")
    # Tab walks the focused message's actions (edit and react come first).
    for _ in range(4):
        await page.keyboard.press("Tab")
        if await delete.evaluate("button => button === document.activeElement"):
            break
    await expect(delete).to_be_focused()
    await page.keyboard.press("Enter")  # the confirm is accepted
    await expect(page.locator("#msg-118.deleted")).to_have_count(1)
    # The rebuilt message keeps the focus.
    assert await page.evaluate(FOCUSED) == "msg-118"

    # Delete from the message itself.
    await page.keyboard.press("ArrowDown")
    assert await page.evaluate(FOCUSED) == "msg-119"
    await page.keyboard.press("Delete")
    await expect(page.locator("#msg-119.deleted")).to_have_count(1)
    assert await page.evaluate(FOCUSED) == "msg-119"

    # Home goes to the oldest shown; at the top older ones load (Up asks
    # too) and focus stays on the message it was on.
    await page.keyboard.press("Home")
    assert await page.evaluate(FOCUSED) == "msg-21"
    await page.keyboard.press("ArrowUp")
    await expect(page.locator("#msg-1")).to_have_count(1)
    assert await page.evaluate(FOCUSED) in ("msg-21", "msg-20")
    await page.keyboard.press("Home")
    await page.keyboard.press("ArrowUp")
    assert await page.evaluate(FOCUSED) == "msg-1"
    await page.keyboard.press("End")
    assert await page.evaluate(FOCUSED) == "msg-120"

    # The composer is next after the list; sending keeps focus there.
    await tab_until(page, "composer-input")
    await page.keyboard.type("typed without a mouse")
    await page.keyboard.press("Enter")
    await expect(message(page, "typed without a mouse")).to_have_count(1)
    assert await page.evaluate(FOCUSED) == "composer-input"
    assert "body" not in await page.evaluate("window.__focusLog")


async def test_load_older_button_keeps_focus_then_hands_it_to_the_oldest(
    server, browsers, make_user, general_room
):
    ada_user = await database_sync_to_async(make_user)("ada")
    await database_sync_to_async(seed)(general_room, ada_user, 60)
    context = await browsers.context(server, ada_user)
    await context.add_init_script(FOCUS_LOG)
    page = await browsers.room(server, ada_user, context=context)
    button = page.get_by_role("button", name="Load older messages")
    await button.focus()
    await page.keyboard.press("Enter")
    await expect(page.locator("#msg-1")).to_have_count(1)
    # Nothing older: the button goes, and focus moves to the first message.
    await expect(button).to_be_hidden()
    assert await page.evaluate(FOCUSED) == "msg-1"
    assert "body" not in await page.evaluate("window.__focusLog")
