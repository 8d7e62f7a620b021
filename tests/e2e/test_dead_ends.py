"""No dead ends: each close code has its own sentence and a next step on
the chat page (the 4403 kinds are in test_accounts.py, 1012 in
test_reconnect.py), and the presence list empties when a socket ends for
good."""

from __future__ import annotations

from channels.db import database_sync_to_async
from playwright.async_api import expect

from tests.helpers.browser import (
    E2E,
    SEND_RAW,
    logged_page,
    present,
    room_status,
    wait_connected,
    wait_until,
)

pytestmark = E2E
ADD_LINK = """(slug) => {
  const link = document.createElement("a");
  link.href = `/rooms/${slug}/`;
  link.dataset.roomLink = slug;
  link.id = "test-link";
  link.textContent = slug;
  document.getElementById("sidebar").append(link);
}"""


async def test_a_missing_room_says_so_and_offers_the_room_list(
    server, browsers, make_user
):
    ada = await browsers.room(server, await database_sync_to_async(make_user)("ada"))
    await expect(present(ada)).to_have_text(["ada"])
    await ada.evaluate(ADD_LINK, "no-such-room")
    await ada.locator("#test-link").click()
    await expect(ada.locator("#conn-status")).to_have_attribute("data-state", "closed")
    await expect(room_status(ada)).to_have_text(
        "This room does not exist, or it is private and you are not a member."
    )
    await ada.locator("#conn-next").get_by_role("link", name="Browse rooms").click()
    await expect(ada).to_have_url(f"{server.http_url}/rooms/")


async def test_a_frame_too_large_and_a_flood_each_say_what_happened(
    server, browsers, make_user
):
    ada = await logged_page(
        browsers, server, await database_sync_to_async(make_user)("ada")
    )
    await ada.evaluate(SEND_RAW, "x" * 70_000)
    await wait_until(ada, "window.__sockets.closes.includes(1009)")
    await expect(room_status(ada)).to_have_text(
        "Something sent was too large for the server, so the connection closed. "
        "Reconnecting…"
    )
    await wait_connected(ada)  # by itself

    for _ in range(21):
        await ada.evaluate(SEND_RAW, "not json")
    await wait_until(ada, "window.__sockets.closes.includes(4429)")
    await expect(room_status(ada)).to_contain_text(
        "The server disconnected this tab: it sent too many refused messages, or "
        "too many tabs are open."
    )
    # It waits before trying again; the reader may not.
    await expect(ada.locator("#conn-countdown")).to_contain_text("Next try in")
    await ada.get_by_role("button", name="Retry now").click()
    await wait_connected(ada)
