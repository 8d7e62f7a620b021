"""A server restart under a reader: the page says it is reconnecting, comes
back on the same address, and shows what was said meanwhile through another
server process, once each."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from channels.db import database_sync_to_async
from playwright.async_api import expect

from tests.helpers.browser import E2E, SERVER_ENV, message, send, seqs
from tests.helpers.servers import ServerProcess

pytestmark = E2E


@pytest.fixture
def two_servers(general_room) -> Iterator[tuple[ServerProcess, ServerProcess]]:
    first = ServerProcess(env=SERVER_ENV).start()
    second = ServerProcess(env=SERVER_ENV)
    try:
        second.start()
        yield first, second
    finally:
        first.stop()
        second.stop()


async def test_restart_shows_reconnecting_then_resumes_without_duplicates(
    two_servers, browsers, make_user
):
    first, second = two_servers
    make = database_sync_to_async(make_user)
    ada = await browsers.room(first, await make("ada"))
    bob = await browsers.room(second, await make("bob"))
    await send(ada, "before the restart")
    await expect(message(bob, "before the restart")).to_have_count(1)

    first.stop()
    status = ada.locator("#conn-status")
    await expect(status).to_have_attribute("data-state", "reconnecting")
    await expect(ada.locator("#conn-text")).to_contain_text("Reconnecting")

    meanwhile = [f"while you were away {n}" for n in range(1, 4)]
    for text in meanwhile:
        await send(bob, text)
        await expect(message(bob, text)).to_have_count(1)
    # Ada writes too while disconnected: it waits in her outbox.
    await send(ada, "typed while offline")
    await expect(ada.locator("#pending .pending-status")).to_have_text(
        "Not sent yet: waiting for the connection…"
    )

    port = first.port
    first.restart()
    assert first.port == port
    await expect(status).to_have_attribute("data-state", "open", timeout=30_000)
    await expect(ada.locator("#conn-text")).to_have_text("Connected")
    for text in meanwhile:
        await expect(message(ada, text)).to_have_count(1)
    await expect(message(ada, "typed while offline")).to_have_count(1)
    await expect(message(bob, "typed while offline")).to_have_count(1)
    await expect(ada.locator("#pending .msg")).to_have_count(0)

    # Live again, both ways, and every seq exactly once on both pages.
    await send(bob, "welcome back")
    await expect(message(ada, "welcome back")).to_have_count(1)
    await send(ada, "good to be back")
    await expect(message(bob, "good to be back")).to_have_count(1)
    for page in (ada, bob):
        await expect(page.locator("#messages .msg")).to_have_count(7)
        assert await seqs(page) == list(range(1, 8))
    await expect(message(ada, "before the restart")).to_have_count(1)
