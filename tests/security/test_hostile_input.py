"""Hostile input to the JSON API (#17, Low): answers are JSON, never 500 or
an HTML page, and names cannot pretend to be others.

Before: a body over 2.5 MB answered 500; on PostgreSQL
`GET /api/rooms/%00/presence/` answered 500 with an HTML page; unknown
paths under /api/ answered Django's HTML 404; room names could hold
newlines, control characters and bidi overrides.

Now: 413 JSON, 404 JSON, 404 JSON; such names get 400 (display names have
the same rule in the profile form). Look-alike copies of a name (homoglyphs)
are not refused: README, Security says why.
"""

from __future__ import annotations

import pytest

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("general_room"),
    pytest.mark.slow,
]


def is_json(response) -> bool:
    return response.headers["content-type"].startswith("application/json")


def test_a_body_over_the_upload_limit_is_413_json(signup):
    http = signup().http()
    response = http.post(
        "/api/rooms/",
        content=b'{"name": "' + b"x" * (3 * 1024 * 1024) + b'"}',
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 413 and is_json(response)


@pytest.mark.parametrize(
    "path",
    ["/api/rooms/%00/presence/", "/api/rooms/%00/messages/", "/api/nope/", "/api/x"],
)
def test_nul_slugs_and_unknown_api_paths_are_json_404(signup, path):
    response = signup().http().get(path)
    assert response.status_code == 404 and is_json(response), response.text[:200]


@pytest.mark.parametrize(
    "name",
    ["General\nAnnouncements", "admin\u202etxt.exe", "zero\u200bwidth", "bell\x07"],
)
def test_room_names_cannot_hold_control_or_direction_characters(signup, name):
    response = signup().http().post("/api/rooms/", json={"name": name, "slug": "x1"})
    assert response.status_code == 400, response.text
    assert "name" in response.json()["errors"]


def test_a_lone_surrogate_in_a_json_body_is_400_not_500(signup):
    http = signup().http()
    response = http.post(
        "/api/rooms/",
        content=b'{"name": "a\\ud800b"}',
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 400 and is_json(response), response.text[:200]
