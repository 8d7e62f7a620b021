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
import shutil
from collections.abc import AsyncIterator, Callable, Iterator

import pytest
import pytest_asyncio
from playwright.async_api import (
    Browser,
    async_playwright,
)

from tests.helpers.browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    SERVER_ENV,
    Browsers,
)
from tests.helpers.servers import ServerProcess


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


@pytest_asyncio.fixture(loop_scope="package")
async def browsers(browser: Browser) -> AsyncIterator[Browsers]:
    opened = Browsers(browser)
    yield opened
    await opened.close()
    assert not opened.errors, f"uncaught errors in the page: {opened.errors}"
