"""The chat in a real Chromium through HAProxy, on the cluster that `make
cluster` runs: a sign-in through the form, two people talking, and a rolling
restart of every chat server under them (their sockets close with 1012 and
come back through HAProxy; nothing is lost)."""

from __future__ import annotations

import asyncio
import os
import shutil
from dataclasses import dataclass

import pytest
from channels.db import database_sync_to_async
from playwright.async_api import async_playwright, expect

from devserver.cluster import Cluster
from tests.ha.conftest import FAULTS
from tests.helpers.browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    Browsers,
    message,
    send,
    wait_connected,
)

pytestmark = [
    pytest.mark.ha,
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.timeout(300),
]

PASSWORD = "correct horse battery staple"


@dataclass
class Through:
    """What Browsers needs of a server: HAProxy's address."""

    http_url: str


@pytest.fixture
def chromium() -> str:
    if not (os.path.isfile(CHROMIUM) or shutil.which(CHROMIUM)):
        pytest.fail(f"Chromium is missing at {CHROMIUM}: run scripts/ensure-chromium")
    return CHROMIUM


async def test_two_people_chat_through_haproxy_across_a_rolling_restart(
    healed: Cluster, general_room, make_user, chromium
):
    make = database_sync_to_async(make_user)
    await make("ada", password=PASSWORD)
    bob = await make("bob")
    site = Through(healed.url)
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=chromium, args=CHROMIUM_ARGS
        )
        browsers = Browsers(browser)
        try:
            ada_page = await browsers.page(site, None, "/accounts/login/")
            await ada_page.locator("#id_login").fill("ada")
            await ada_page.locator("#id_password").fill(PASSWORD)
            await ada_page.get_by_role("button", name="Sign In").click()
            await expect(ada_page).to_have_url(f"{site.http_url}/rooms/general/")
            await wait_connected(ada_page)
            bob_page = await browsers.room(site, bob)

            await send(ada_page, "Hello through HAProxy")
            await expect(message(bob_page, "Hello through HAProxy")).to_have_count(1)

            restart = asyncio.get_running_loop().run_in_executor(
                FAULTS, healed.rolling_restart
            )
            await send(bob_page, "during the restart")
            await restart
            for page in (ada_page, bob_page):
                await wait_connected(page)
            await send(ada_page, "after the restart")
            for page in (ada_page, bob_page):
                for text in (
                    "Hello through HAProxy", "during the restart", "after the restart"
                ):  # fmt: skip
                    await expect(message(page, text)).to_have_count(1)
                await expect(page.locator("#pending .msg")).to_have_count(0)
        finally:
            await browsers.close()
            await browser.close()
    assert not browsers.errors, browsers.errors
