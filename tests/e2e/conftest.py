"""Browser tests: Playwright for Python driving Debian's Chromium against real
uvicorn server processes (tests/servers.py) on the suite's Redis and test
database.

The tests are async and use Playwright's async API: the sync API keeps its
event loop marked as running between calls, so every ORM call in a test or a
fixture (users, sessions, the transactional flush) would raise
SynchronousOnlyOperation. One browser serves the whole package, on one
package-wide event loop (every module sets `loop_scope="package"`).
Chromium comes from apt, not from `playwright install`
(scripts/ensure-chromium); a missing browser fails the tests with a
sentence, it never skips them.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field

import pytest
import pytest_asyncio
from playwright.async_api import (
    Browser,
    BrowserContext,
    Locator,
    Page,
    async_playwright,
    expect,
)

from tests.conftest import asession_cookie_for
from tests.servers import ServerProcess

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
# Without the background-networking flags Chromium's own connections (updates,
# sync, field trials) are refused on a closed network and slow everything.
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# No limit to get in the way of a test that sends a burst.
SERVER_ENV = {"CHAT_RATE_LIMIT": "1000/10"}
TIMEOUT_MS = 10_000
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 375, "height": 740}

expect.set_options(timeout=TIMEOUT_MS)


# Every e2e module: `pytestmark = E2E`.
E2E = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.asyncio(loop_scope="package"),
]


@pytest.fixture(scope="package")
def chromium() -> str:
    """Debian's Chromium; a missing one fails the tests with a sentence."""
    if not (os.path.isfile(CHROMIUM) or shutil.which(CHROMIUM)):
        pytest.fail(
            f"The browser tests need Chromium at {CHROMIUM}: run "
            "scripts/ensure-chromium (make test does), or set CHROMIUM.",
            pytrace=False,
        )
    return CHROMIUM


@pytest_asyncio.fixture(scope="package", loop_scope="package")
async def browser(chromium: str) -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=chromium, args=CHROMIUM_ARGS
        )
        yield browser
        await browser.close()


@pytest.fixture(scope="package")
def _shared_server() -> Iterator[Callable[[], ServerProcess]]:
    # Started lazily: the test database exists only once a test asked for it.
    process: ServerProcess | None = None

    def get() -> ServerProcess:
        nonlocal process
        if process is None:
            process = ServerProcess(env=SERVER_ENV).start()
        return process

    yield get
    if process is not None:
        process.stop()


@pytest.fixture
def server(_shared_server, general_room) -> ServerProcess:
    """One server process shared by the e2e tests that need only one."""
    return _shared_server()


@dataclass
class Browsers:
    """Opens pages as users in separate browser contexts (separate cookie
    jars, as two people on two machines), and checks on closing that no page
    threw an uncaught error."""

    browser: Browser
    contexts: list[BrowserContext] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    async def context(
        self, server: ServerProcess, user=None, *, viewport: dict | None = None
    ) -> BrowserContext:
        context = await self.browser.new_context(
            base_url=server.http_url,
            viewport=viewport or DESKTOP,
            locale="en-GB",
            timezone_id="UTC",
        )
        context.set_default_timeout(TIMEOUT_MS)
        if user is not None:
            await context.add_cookies(
                [
                    {
                        "name": "sessionid",
                        "value": await asession_cookie_for(user),
                        "url": server.http_url,
                    }
                ]
            )
        self.contexts.append(context)
        return context

    async def page(
        self,
        server: ServerProcess,
        user=None,
        path: str = "/",
        *,
        context: BrowserContext | None = None,
        viewport: dict | None = None,
    ) -> Page:
        context = context or await self.context(server, user, viewport=viewport)
        page = await context.new_page()
        page.on("pageerror", lambda error: self.errors.append(f"{path}: {error}"))
        await page.goto(path)
        return page

    async def room(
        self, server: ServerProcess, user, slug: str = "general", **kw
    ) -> Page:
        """The room page, connected and with its first history shown."""
        page = await self.page(server, user, f"/rooms/{slug}/", **kw)
        await wait_connected(page)
        # Set once the first history frame has been shown.
        await expect(page.locator("#messages")).to_have_attribute("aria-busy", "false")
        return page

    async def close(self) -> None:
        for context in self.contexts:
            await context.close()


@pytest_asyncio.fixture(loop_scope="package")
async def browsers(browser: Browser) -> AsyncIterator[Browsers]:
    opened = Browsers(browser)
    yield opened
    await opened.close()
    assert not opened.errors, f"uncaught errors in the page: {opened.errors}"


# --- Page helpers ----------------------------------------------------------------


async def wait_connected(page: Page) -> None:
    await expect(page.locator("#conn-status")).to_have_attribute("data-state", "open")


async def send(page: Page, text: str) -> None:
    """Type a message and press Enter, as a person does."""
    box = page.locator("#composer-input")
    await box.fill(text)
    await box.press("Enter")
    await expect(box).to_have_value("")


def message(page: Page, text: str) -> Locator:
    """The message(s) in the log whose body is exactly `text`."""
    exactly = re.compile(rf"^{re.escape(text)}$")
    return page.locator("#messages .msg").filter(
        has=page.locator(".msg-body", has_text=exactly)
    )


async def bodies(page: Page) -> list[str]:
    return await page.locator("#messages .msg-body").all_inner_texts()


async def seqs(page: Page) -> list[int]:
    found = await page.locator("#messages .msg").evaluate_all(
        "items => items.map(item => Number(item.dataset.seq))"
    )
    return list(found)


def present(page: Page) -> Locator:
    return page.locator("#present .user-name")
