"""Messages people fix, react to and find (issue #14), in Chromium against
real server processes: safe Markdown, editing with the Up arrow, reactions
from two users, search and jump, and a resume that applies what changed."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from channels.db import database_sync_to_async
from playwright.async_api import expect

from chat import edits, services, store
from chat.models import Message, Room
from tests.helpers.browser import E2E, SERVER_ENV, message, send
from tests.helpers.servers import ServerProcess

pytestmark = E2E


async def test_markdown_is_safe_and_only_http_links_are_links(
    server, browsers, make_user
):
    page = await browsers.room(server, await database_sync_to_async(make_user)("ada"))
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    await send(page, "<img src=x onerror=alert(1)>")
    await send(page, "[x](javascript:alert(1))")
    await send(page, "see [the docs](https://example.com/docs) and **bold** `code`")
    bodies = page.locator("#messages .msg-body")
    await expect(bodies).to_have_count(3)
    await expect(bodies.nth(0)).to_have_text("<img src=x onerror=alert(1)>")
    await expect(bodies.nth(1)).to_have_text("x")
    links = page.locator("#messages .msg-body a")
    await expect(links).to_have_count(1)
    await expect(links).to_have_attribute("href", "https://example.com/docs")
    await expect(links).to_have_attribute("rel", "noopener noreferrer")
    await expect(links).to_have_attribute("target", "_blank")
    await expect(bodies.nth(2).locator("strong")).to_have_text("bold")
    await expect(bodies.nth(2).locator("code")).to_have_text("code")
    assert await page.locator("#messages img").count() == 0
    await page.wait_for_timeout(300)  # an onerror would have fired by now
    assert dialogs == []


async def test_edit_with_the_up_arrow_and_the_versions(server, browsers, make_user):
    make = database_sync_to_async(make_user)
    ada = await browsers.room(server, await make("ada"))
    bob = await browsers.room(server, await make("bob"))
    await send(ada, "helo wrld")
    await expect(message(bob, "helo wrld")).to_have_count(1)
    composer = ada.locator("#composer-input")
    await composer.focus()
    await composer.press("ArrowUp")
    editor = ada.locator(".msg-editor-input")
    await expect(editor).to_be_focused()
    await expect(editor).to_have_value("helo wrld")
    await editor.fill("hello world")
    await editor.press("Enter")
    for page in (ada, bob):
        await expect(message(page, "hello world")).to_have_count(1)
        await expect(page.locator(".msg-edited")).to_have_text("(edited)")
    await expect(composer).to_be_focused()
    await bob.locator(".msg-edited").click()
    versions = bob.locator(".versions li .version-body")
    await expect(versions).to_have_text(["helo wrld", "hello world"])
    # Escape in the editor changes nothing.
    await composer.press("ArrowUp")
    await ada.locator(".msg-editor-input").fill("not this")
    await ada.locator(".msg-editor-input").press("Escape")
    await expect(ada.locator(".msg-editor")).to_have_count(0)
    await expect(message(ada, "hello world")).to_have_count(1)


async def test_react_and_unreact_from_two_users(server, browsers, make_user):
    make = database_sync_to_async(make_user)
    ada = await browsers.room(server, await make("ada"))
    bob = await browsers.room(server, await make("bob"))
    await send(ada, "lunch?")
    await expect(message(bob, "lunch?")).to_have_count(1)

    await message(bob, "lunch?").hover()
    await bob.locator(".reaction-add").click()
    await bob.get_by_role("button", name="React with 👍").click()
    for page in (ada, bob):
        chip = page.locator(".reaction[data-emoji='👍']")
        await expect(chip.locator(".reaction-count")).to_have_text("1")
    await expect(bob.locator(".reaction[data-emoji='👍']")).to_have_attribute(
        "aria-pressed", "true"
    )
    await expect(ada.locator(".reaction[data-emoji='👍']")).to_have_attribute(
        "aria-pressed", "false"
    )
    await expect(ada.locator(".reaction[data-emoji='👍']")).to_have_attribute(
        "title", "👍 by bob"
    )

    await ada.locator(".reaction[data-emoji='👍']").click()
    for page in (ada, bob):
        await expect(
            page.locator(".reaction[data-emoji='👍'] .reaction-count")
        ).to_have_text("2")
    chip = bob.locator(".reaction[data-emoji='👍']")
    await expect(chip).to_have_attribute("title", "👍 by you, ada")
    await chip.focus()
    await expect(chip.locator(".reaction-who")).to_be_visible()

    await chip.click()  # Bob takes his back
    for page in (ada, bob):
        await expect(
            page.locator(".reaction[data-emoji='👍'] .reaction-count")
        ).to_have_text("1")
    await ada.locator(".reaction[data-emoji='👍']").click()
    for page in (ada, bob):
        await expect(page.locator(".reaction")).to_have_count(0)


@database_sync_to_async
def _fill_general(author, count: int, needle_at: int) -> None:
    room = Room.objects.get(slug="general")
    for n in range(1, count + 1):
        body = f"filler message {n}"
        if n == needle_at:
            body = "the Needle in the haystack"
        store.message_create(room=room, author=author, body=body, client_id=None)
    Room.objects.create(slug="elsewhere", name="Elsewhere")


async def test_search_then_jump_to_the_message_with_history_around(
    server, browsers, make_user
):
    ada = await database_sync_to_async(make_user)("ada")
    await _fill_general(ada, 300, needle_at=40)
    page = await browsers.room(server, ada, "elsewhere")
    await page.keyboard.press("Control+k")
    box = page.locator("#search-input")
    await expect(box).to_be_focused()
    await box.fill("needle HAYSTACK")
    await box.press("Enter")
    result = page.locator(".search-result")
    await expect(result).to_have_count(1)
    await expect(result.locator("mark")).to_have_text(["Needle", "haystack"])
    await expect(result.locator(".search-body")).to_have_text(
        "the Needle in the haystack"
    )
    await result.click()
    await expect(page).to_have_url(f"{server.http_url}/rooms/general/")
    target = page.locator("#messages .msg.jump-target")
    await expect(target).to_have_attribute("data-seq", "40")
    await expect(target).to_be_in_viewport()
    for seq in (30, 39, 41, 60):
        await expect(page.locator(f"#messages .msg[data-seq='{seq}']")).to_have_count(1)
    # "/" focuses the search box too, from anywhere but a text field.
    await page.locator("#room-title").focus()
    await page.keyboard.press("/")
    await expect(box).to_be_focused()


async def test_a_search_the_network_drops_says_so_and_the_next_one_works(
    server, browsers, make_user
):
    """A call that never got an answer (offline, or a keep-alive connection
    that died silently, given up after api.js's REQUEST_TIMEOUT_MS) says
    the server could not be reached, and leaves nothing stuck busy."""
    ada = await database_sync_to_async(make_user)("ada")
    await _fill_general(ada, 3, needle_at=2)
    page = await browsers.room(server, ada)
    await page.route("**/api/search/**", lambda route: route.abort())
    box = page.locator("#search-input")
    await box.fill("needle")
    await box.press("Enter")
    panel = page.locator("#search-panel")
    await expect(panel.locator(".search-status")).to_have_text(
        "Could not reach the server. Check your connection and try again."
    )
    await expect(panel).to_have_attribute("aria-busy", "false")
    await page.unroute("**/api/search/**")
    await box.press("Enter")
    await expect(page.locator(".search-result")).to_have_count(1)


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


async def test_a_page_that_was_away_applies_what_changed(
    two_servers, browsers, make_user
):
    """Bob's server goes away; meanwhile Ada deletes one old message, edits
    another and reacts to a third; when Bob's page reconnects it resumes with
    ?after=&rev= and shows all three changes."""
    first, second = two_servers
    make = database_sync_to_async(make_user)
    ada_user = await make("ada")
    ada = await browsers.room(first, ada_user)
    bob = await browsers.room(second, await make("bob"))
    for text in ("one", "two", "three", "four"):
        await send(ada, text)
    await expect(message(bob, "four")).to_have_count(1)

    second.stop()
    await expect(bob.locator("#conn-status")).to_have_attribute(
        "data-state", "reconnecting"
    )

    @database_sync_to_async
    def change() -> None:
        by_body = {m.body: m for m in Message.objects.all()}
        services.message_delete(message_id=by_body["one"].pk, by=ada_user)
        edits.message_edit(
            room=by_body["two"].room,
            user=ada_user,
            message_id=by_body["two"].pk,
            body="two, edited",
        )

    await change()
    await message(ada, "three").hover()
    await ada.locator(".msg").nth(2).locator(".reaction-add").click()
    await ada.get_by_role("button", name="React with 🎉").click()
    await expect(ada.locator(".reaction[data-emoji='🎉']")).to_have_count(1)

    second.restart()
    await expect(bob.locator("#conn-status")).to_have_attribute(
        "data-state", "open", timeout=30_000
    )
    await expect(message(bob, "one")).to_have_count(0)
    await expect(bob.locator("#messages .msg.deleted")).to_have_count(1)
    await expect(message(bob, "two, edited")).to_have_count(1)
    await expect(
        bob.locator(".reaction[data-emoji='🎉'] .reaction-count")
    ).to_have_text("1")
    await expect(message(bob, "four")).to_have_count(1)
