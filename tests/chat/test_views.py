"""The HTML pages of the chat and the client files they load."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from chat.models import Room

pytestmark = pytest.mark.django_db

HOSTILE = "</script><img src=x onerror=alert(1)>"
JS_DIR = Path(settings.BASE_DIR) / "static" / "chat" / "js"
JS_FILES = sorted(JS_DIR.glob("*.js"))


def embedded(response, element_id: str) -> dict:
    """The JSON a page embedded with json_script under element_id."""
    match = re.search(
        rf'<script id="{element_id}" type="application/json">(.*?)</script>',
        response.content.decode(),
        re.S,
    )
    assert match, f"no json_script with id {element_id}"
    return json.loads(match.group(1))


@pytest.fixture
def logged_in(client, make_user):
    user = make_user("ada", display_name="Ada")
    client.force_login(user)
    return user


# --- Room list -----------------------------------------------------------------


def test_room_list_requires_login(client):
    response = client.get(reverse("chat:room_list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_room_list_renders_rooms_the_user_may_see(client, logged_in, make_user):
    other = make_user("bob")
    Room.objects.create(slug="mine", name="My secret", private=True).members.add(
        logged_in
    )
    Room.objects.create(slug="theirs", name="Their secret", private=True).members.add(
        other
    )
    response = client.get(reverse("chat:room_list"))
    assert response.status_code == 200
    content = response.content.decode()
    assert "general" in content  # made by migrate
    assert "My secret" in content
    assert "Their secret" not in content
    assert reverse("chat:room", kwargs={"slug": "mine"}) in content


def test_room_list_sets_the_csrf_cookie(client, logged_in):
    response = client.get(reverse("chat:room_list"))
    assert settings.CSRF_COOKIE_NAME in response.cookies


def test_room_list_loads_its_module_and_page_data(client, logged_in):
    response = client.get(reverse("chat:room_list"))
    content = response.content.decode()
    assert '<script type="module" src="/static/chat/js/rooms.js">' in content
    data = embedded(response, "page-data")
    assert data["user"] == logged_in.ref()
    slug_url = data["roomUrl"].replace(data["slugPlaceholder"], "general")
    assert slug_url == reverse("chat:room", kwargs={"slug": "general"})


# --- Room page -----------------------------------------------------------------


def test_room_requires_login(client):
    response = client.get(reverse("chat:room", kwargs={"slug": "general"}))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_room_renders_a_public_room(client, logged_in):
    response = client.get(reverse("chat:room", kwargs={"slug": "general"}))
    assert response.status_code == 200
    content = response.content.decode()
    assert '<script type="module" src="/static/chat/js/room.js">' in content
    assert 'role="log"' in content
    assert 'aria-live="polite"' in content
    assert settings.CSRF_COOKIE_NAME in response.cookies
    data = embedded(response, "room-data")
    assert data["slug"] == "general"
    assert data["user"] == logged_in.ref()
    assert data["user"]["display_name"] == "Ada"
    assert data["canModerate"] is False


def test_room_is_404_when_missing(client, logged_in):
    response = client.get(reverse("chat:room", kwargs={"slug": "nope"}))
    assert response.status_code == 404


def test_private_room_is_404_for_non_members(client, logged_in, make_user):
    room = Room.objects.create(slug="secret", name="Secret", private=True)
    room.members.add(make_user("bob"))
    response = client.get(reverse("chat:room", kwargs={"slug": "secret"}))
    assert response.status_code == 404


def test_private_room_renders_for_members(client, logged_in):
    room = Room.objects.create(slug="secret", name="Secret", private=True)
    room.members.add(logged_in)
    response = client.get(reverse("chat:room", kwargs={"slug": "secret"}))
    assert response.status_code == 200


def test_owner_and_staff_may_moderate(client, logged_in, make_user):
    Room.objects.create(slug="owned", name="Owned", owner=logged_in)
    response = client.get(reverse("chat:room", kwargs={"slug": "owned"}))
    assert embedded(response, "room-data")["canModerate"] is True

    staff = make_user("root", is_staff=True)
    client.force_login(staff)
    response = client.get(reverse("chat:room", kwargs={"slug": "general"}))
    assert embedded(response, "room-data")["canModerate"] is True


def test_hostile_names_are_escaped(client, make_user):
    user = make_user("mallory", display_name=HOSTILE)
    Room.objects.create(slug="evil", name=HOSTILE)
    client.force_login(user)
    room_url = reverse("chat:room", kwargs={"slug": "evil"})
    for url in (room_url, reverse("chat:room_list")):
        response = client.get(url)
        content = response.content.decode()
        assert "<img src=x" not in content, url
        # The only </script> closings are those of real script elements.
        assert content.count("</script>") == content.count("<script")
    data = embedded(client.get(room_url), "room-data")
    assert data["name"] == HOSTILE
    assert data["user"]["display_name"] == HOSTILE


# --- Static client files ---------------------------------------------------------


@pytest.mark.parametrize("name", ["room.js", "rooms.js", "socket.js", "messages.js"])
def test_client_modules_are_served_as_javascript(client, name):
    response = client.get(f"/static/chat/js/{name}")
    assert response.status_code == 200
    assert "javascript" in response["Content-Type"]
    body = b"".join(response.streaming_content)
    response.close()
    assert body


def test_stylesheet_is_served(client):
    response = client.get("/static/chat/css/site.css")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/css")
    response.close()


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
@pytest.mark.parametrize("path", JS_FILES, ids=[path.name for path in JS_FILES])
def test_client_modules_parse(path):
    result = subprocess.run(
        ["node", "--check", str(path)], capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 0, result.stderr


def test_client_never_writes_html_from_strings():
    # User text reaches the page through textContent only (STYLE, PROTOCOL).
    for path in JS_FILES:
        source = path.read_text()
        for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write"):
            assert sink not in source, f"{path.name} uses {sink}"
