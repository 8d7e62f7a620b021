"""No dead ends: each close code has its own sentence and a next step on
the chat page (the 4403 kinds are in test_accounts.py, 1012 in
test_reconnect.py; 1013 comes from a server whose hook never drains one
user's room link, tests/e2e/behind_app.py), and the presence list empties
when a socket ends for good."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from channels.db import database_sync_to_async
from playwright.async_api import expect

from tests.helpers.browser import (
    E2E,
    SEND_RAW,
    SERVER_ENV,
    SOCKET_LOG,
    bodies,
    logged_page,
    message,
    present,
    room_status,
    wait_connected,
    wait_until,
)
from tests.helpers.servers import AppServer
from tests.helpers.sessions import asession_cookie_for

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


# Every sentence the connection line showed, in order, with the button
# beside it ("" when hidden): 1013's shows only for a moment (the page comes
# back within a second).
STATUS_LOG = """
window.__statusTexts = [];
document.addEventListener("DOMContentLoaded", () => {
  const text = document.getElementById("conn-text");
  const retry = document.getElementById("conn-retry");
  const button = () => (retry.hidden ? "" : retry.textContent);
  const note = () => window.__statusTexts.push(`${text.textContent}|${button()}`);
  const what = { childList: true, characterData: true, subtree: true };
  new MutationObserver(note).observe(text, what);
});
"""
BEHIND = "This tab fell behind the conversation. Catching up…"


@pytest.fixture
def behind_server(general_room) -> Iterator[AppServer]:
    """A server that closes a socket once 20 frames wait for it (1013),
    where users named behind… have a room link that never drains
    (tests/e2e/behind_app.py)."""
    server = AppServer(
        env={**SERVER_ENV, "CHAT_SOCKET_BACKLOG": "20"},
        app="tests.e2e.behind_app:application",
    ).start()
    yield server
    server.stop()


async def test_a_tab_that_fell_behind_says_so_and_catches_up(
    behind_server, browsers, make_user
):
    make = database_sync_to_async(make_user)
    ada_user, bob_user = await make("behind_ada"), await make("bob")
    context = await browsers.context(behind_server, ada_user)
    for script in (SOCKET_LOG, STATUS_LOG):
        await context.add_init_script(script)
    ada = await browsers.room(behind_server, ada_user, context=context)
    bob, _ = await behind_server.room_socket(await asession_cookie_for(bob_user))

    # Bob says more than 20 things while nothing reaches Ada: the server
    # closes her socket with 1013, and her page says why and what it does.
    total = 25
    for n in range(1, total + 1):
        await bob.send(json.dumps({"type": "message.send", "body": f"m{n}"}))
    await wait_until(ada, "window.__sockets.closes.includes(1013)", timeout=20)
    await wait_until(
        ada, f"window.__statusTexts.includes({json.dumps(BEHIND + '|Retry now')})"
    )
    # The next step is the page's own: it comes back and resumes by seq,
    # every message once, in order.
    await wait_connected(ada)
    await expect(message(ada, f"m{total}")).to_have_count(1)
    assert await bodies(ada) == [f"m{n}" for n in range(1, total + 1)]
    await expect(room_status(ada)).to_have_text("Connected")
    await bob.close()
