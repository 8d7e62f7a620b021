"""Forms speak people: every error next to its own field, all of them at
once, in plain words (never a validator's pattern), and no input cuts what
is typed short without a word."""

from __future__ import annotations

from channels.db import database_sync_to_async
from playwright.async_api import expect

from tests.helpers.browser import E2E

pytestmark = E2E


def errors_of(page, field_id: str):
    """The error list that belongs to one field: in its own .field box."""
    return page.locator(f".field:has(#{field_id}) .errorlist")


async def test_sign_up_shows_every_error_beside_its_field(server, browsers, make_user):
    await database_sync_to_async(make_user)("taken", email="taken@example.com")
    page = await browsers.page(server, path="/accounts/signup/")
    await page.locator("#id_username").fill("taken")
    await page.locator("#id_email").fill("taken@example.com")
    await page.locator("#id_password1").fill("short")
    await page.locator("#id_password2").fill("different")
    await page.get_by_role("button", name="Sign Up").click()

    for field in ("id_username", "id_email", "id_password1"):
        await expect(errors_of(page, field)).to_be_visible()
        await expect(page.locator(f"#{field}")).to_have_attribute(
            "aria-invalid", "true"
        )
        # The error is announced with the field.
        described = await page.locator(f"#{field}").get_attribute("aria-describedby")
        assert f"{field}_error" in described.split()
    await expect(errors_of(page, "id_username")).to_contain_text("already")
    text = await page.locator("main").inner_text()
    assert "^" not in text and "pattern" not in text.lower()


async def test_the_room_form_checks_every_field_at_once(server, browsers, make_user):
    page = await browsers.page(
        server, await database_sync_to_async(make_user)("ada"), "/rooms/"
    )
    await page.get_by_label("Name").fill("N" * 85)
    await page.get_by_label("Address").fill("Not a slug!")
    # Nothing is cut: the page says how long is too long.
    await expect(page.get_by_label("Name")).to_have_value("N" * 85)
    await page.get_by_role("button", name="Create room").click()
    await expect(page.locator("#room-name-errors")).to_have_text(
        "Use at most 80 characters."
    )
    await expect(page.locator("#room-slug-errors")).to_have_text(
        "Use only lower-case letters (a\u2013z), digits, hyphens and underscores."
    )
    await expect(page.get_by_label("Name")).to_be_focused()

    await page.get_by_label("Name").fill("Fine")
    await page.get_by_label("Address").fill("fine")
    await page.get_by_label("Members", exact=True).fill("nobody-at-all")
    await page.get_by_role("button", name="Create room").click()
    await expect(page.locator("#room-members-errors")).to_be_visible()
    await expect(page.locator("#room-name-errors")).to_be_hidden()
