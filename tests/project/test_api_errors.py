"""The JSON API's 400 answers speak people: no validator's raw text (no
regex), one plain sentence per problem, by field, in the reader's language."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture
def ada(client, make_user):
    client.force_login(make_user("ada"))
    return client


def post(client, body: dict, **headers):
    return client.post(
        "/api/rooms/",
        json.dumps(body),
        content_type="application/json",
        headers=headers,
    )


def test_a_bad_slug_is_a_sentence_not_a_regex(ada):
    response = post(ada, {"name": "Ok", "slug": "Not OK!"})
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "slug": [
            "Use only lower-case letters (a to z), digits, hyphens and underscores."
        ]
    }


def test_every_bad_field_is_reported_at_once(ada):
    response = post(ada, {"name": "", "slug": "x" * 51, "private": "maybe"})
    errors = response.json()["errors"]
    assert errors["name"] == ["Fill this in."]
    assert errors["slug"] == ["Use at most 50 characters."]
    assert errors["private"] == ["This must be true or false."]
    text = json.dumps(errors)
    assert "should" not in text and "^" not in text and "pattern" not in text


def test_missing_and_wrong_types(ada):
    errors = post(ada, {"members": "bob"}).json()["errors"]
    assert errors["name"] == ["This field is required."]
    assert errors["members"] == ["This must be a list."]


def test_in_russian(ada):
    response = post(ada, {"name": "Ok", "slug": "BAD"}, accept_language="ru")
    assert response.json()["errors"]["slug"] == [
        "Используйте только строчные латинские буквы (от a до z), цифры, дефисы и "
        "подчёркивания."
    ]
