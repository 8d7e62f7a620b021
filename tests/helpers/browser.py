"""Browser-test helpers: Chromium's flags, the Browsers opener (a browser
context per user), and what tests read off a page (tests/e2e/)."""

from __future__ import annotations

import asyncio
import os
import re
import time
from dataclasses import dataclass, field

import pytest
from playwright.async_api import Browser, BrowserContext, Locator, Page, expect

from tests.helpers.servers import ServerProcess
from tests.helpers.sessions import asession_cookie_for

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


@dataclass
class Browsers:
    """Opens pages as users in separate browser contexts (separate cookie
    jars, as two people on two machines), and checks on closing that no page
    threw an uncaught error."""

    browser: Browser
    contexts: list[BrowserContext] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    async def context(
        self,
        server: ServerProcess,
        user=None,
        *,
        viewport: dict | None = None,
        locale: str = "en-GB",
        color_scheme: str = "light",
        **options,
    ) -> BrowserContext:
        """options: more of Playwright's new_context (bypass_csp, ...)."""
        context = await self.browser.new_context(
            base_url=server.http_url,
            viewport=viewport or DESKTOP,
            locale=locale,
            timezone_id="UTC",
            color_scheme=color_scheme,
            **options,
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
        **options,
    ) -> Page:
        """options: those of context(), for a new context."""
        context = context or await self.context(
            server, user, viewport=viewport, **options
        )
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


async def wait_until(page: Page, expression: str, timeout: float = 10.0) -> None:
    """Poll `expression` in the page until it is true. Not wait_for_function:
    that evaluates the text with eval inside the page, which the site's CSP
    (no 'unsafe-eval') refuses, as it should."""
    deadline = time.monotonic() + timeout
    while not await page.evaluate(expression):
        if time.monotonic() > deadline:
            raise AssertionError(f"not true within {timeout} s: {expression}")
        await asyncio.sleep(0.05)


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


# An init script: counts the room sockets (/ws/chat/) a page opens, how each
# closed, and keeps them in window.__sockets.list so a test can send what
# the page would never send (a frame too large, a flood of bad frames).
SOCKET_LOG = """
window.__sockets = { opened: 0, closes: [], list: [] };
const NativeWebSocket = window.WebSocket;
window.WebSocket = class extends NativeWebSocket {
  constructor(...args) {
    super(...args);
    if (!String(args[0]).includes("/ws/chat/")) return;
    window.__sockets.opened += 1;
    window.__sockets.list.push(this);
    this.addEventListener("close", (event) => window.__sockets.closes.push(event.code));
  }
};
"""
# An init script: window.__siteReady turns true once the page's site socket
# (/ws/presence/) got its first frame, presence.state, which the server sends
# only after that socket follows its rooms' activity (presence.consumers).
SITE_READY = """
window.__siteReady = false;
const SiteNativeWebSocket = window.WebSocket;
window.WebSocket = class extends SiteNativeWebSocket {
  constructor(...args) {
    super(...args);
    if (!String(args[0]).includes("/ws/presence/")) return;
    const ready = () => { window.__siteReady = true; };
    this.addEventListener("message", ready, { once: true });
  }
};
"""
# Send raw text on the page's newest room socket.
SEND_RAW = "(text) => window.__sockets.list.at(-1).send(text)"


async def logged_page(browsers: Browsers, server, user, slug="general", **kw) -> Page:
    """The room page with SOCKET_LOG installed."""
    context = await browsers.context(server, user, **kw)
    await context.add_init_script(SOCKET_LOG)
    return await browsers.room(server, user, slug, context=context)


def room_status(page: Page) -> Locator:
    return page.locator("#conn-text")
