"""Retry keeps order: messages refused for the rate limit are retried oldest
first, one at a time, with "Retry all" when several failed, so they are
stored in the order they were written."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from channels.db import database_sync_to_async
from playwright.async_api import expect

from tests.helpers.browser import E2E, bodies, send
from tests.helpers.servers import ServerProcess

pytestmark = E2E
WRITTEN = [f"note {n}" for n in range(1, 8)]


@pytest.fixture
def strict_server(general_room) -> Iterator[ServerProcess]:
    server = ServerProcess(env={"CHAT_RATE_LIMIT": "3/3"}).start()
    yield server
    server.stop()


async def test_retry_all_sends_the_failed_ones_oldest_first(
    strict_server, browsers, make_user
):
    ada = await browsers.room(
        strict_server, await database_sync_to_async(make_user)("ada")
    )
    for text in WRITTEN:
        await send(ada, text)
    failed = ada.locator("#pending .pending-status.failed")
    await expect(failed).to_have_count(4)
    await expect(failed.first).to_contain_text("Not sent:")
    await expect(ada.locator("#messages .msg-body")).to_have_text(WRITTEN[:3])
    retry_all = ada.get_by_role("button", name="Retry all 4 messages")
    await expect(retry_all).to_be_visible()

    await ada.wait_for_timeout(3_100)  # the rate limit's window passes
    await retry_all.click()
    # At most three a window: the first three go, oldest first; the fourth
    # is refused again and waits, with its own Retry.
    await expect(ada.locator("#messages .msg-body")).to_have_text(WRITTEN[:6])
    await expect(failed).to_have_count(1)
    await expect(ada.get_by_role("button", name="Retry all 4 messages")).to_be_hidden()
    await ada.wait_for_timeout(3_100)
    await ada.locator("#pending").get_by_role("button", name="Retry").click()
    await expect(ada.locator("#pending .msg")).to_have_count(0)
    assert await bodies(ada) == WRITTEN
    # The stored order is the written order, seq by seq.
    await ada.reload()
    await expect(ada.locator("#messages .msg-body")).to_have_text(WRITTEN)
