"""@mentions (PROTOCOL.md 1.1, "A mention"): parsed once at store time."""

from __future__ import annotations

import pytest

from chat import mentions, services, store
from chat.models import Mention, Room
from tests.helpers.api import Api

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("body", "names"),
    [
        ("@bob", [["bob"]]),
        ("hi @bob, and @bob.", [["bob"], ["bob.", "bob"]]),
        ("@bob.smith", [["bob.smith"]]),  # a dot before a letter: one name
        ("@bob.1", [["bob.1"]]),
        ("@bob!", [["bob"]]),
        ("(@bob)", [["bob"]]),
        ("mail@bob", []),  # a letter before @
        ("x_@bob", []),
        ("9@bob", []),
        (".@bob", [["bob"]]),
        ("@bob+x", [["bob+x"]]),
        ("@bob-", [["bob-"]]),
        ("@bob@x", [["bob@x"]]),
        ("@", []),
        ("@ bob", []),
        # Usernames may hold @; the second @ follows an @, not a word.
        ("@@bob", [["@bob"], ["bob"]]),
        ("@Ünïcødé", [["Ünïcødé"]]),
        ("@bob…", [["bob"]]),
    ],
)
def test_candidates(body, names):
    assert mentions.candidates(body) == names


def test_a_name_is_at_most_a_username_long():
    assert mentions.candidates("@" + "a" * 500) == []
    assert mentions.candidates("@" + "a" * 150) == [["a" * 150]]


def test_hostile_bodies_stay_cheap(make_user, django_assert_max_num_queries):
    make_user("bob")
    room = Room.objects.get(slug="general")
    bodies = [
        "@a." * 1300,
        " ".join(f"@user{n}" for n in range(800)),
        "@" * 4000,
        "@b" + "." * 3998,
    ]
    with django_assert_max_num_queries(4):
        found = mentions.resolve([(room, body[:4000]) for body in bodies])
    assert found == [[], [], [], []]


def test_resolve_matches_case_insensitively_and_only_who_can_open(make_user):
    ada, bob = make_user("ada"), make_user("Bob")
    make_user("gone", is_active=False)
    make_user("eve")
    den = services.room_create(
        owner=ada, name="Den", slug="den", private=True, members=["bob"]
    )
    general = Room.objects.get(slug="general")
    general.banned.add(ada)
    found = mentions.resolve(
        [
            (den, "@bob @ADA @eve @gone @nobody"),
            (general, "@ada @BOB @bob"),
            (general, "no mentions"),
        ]
    )
    assert found == [sorted([ada.pk, bob.pk]), [bob.pk], []]


def test_longest_name_that_is_a_user_wins(make_user):
    bob, dotted = make_user("bob"), make_user("bob.")
    room = Room.objects.get(slug="general")
    assert mentions.resolve([(room, "hi @bob.")]) == [[dotted.pk]]
    assert mentions.resolve([(room, "hi @bob. @bob")]) == [sorted([bob.pk, dotted.pk])]


def test_stored_on_the_message_and_returned_by_history(make_user):
    ada, bob = make_user("ada"), make_user("bob")
    room = Room.objects.get(slug="general")
    message, _ = store.message_create(
        room=room, author=ada, body="@bob @ada hi", client_id=None
    )
    assert message.mentions == sorted([ada.pk, bob.pk])
    # The author's own name is not an unread mention of theirs.
    assert list(Mention.objects.values_list("user_id", "seq")) == [(bob.pk, 1)]
    history = Api(bob).get("/api/rooms/general/messages/").json()["messages"]
    assert history[0]["mentions"] == sorted([ada.pk, bob.pk])
    services.message_delete(message_id=message.pk, by=ada)
    history = Api(bob).get("/api/rooms/general/messages/").json()["messages"]
    assert history[0]["mentions"] == []
    assert not Mention.objects.exists()


def test_a_batch_resolves_all_its_mentions_at_once(
    make_user, django_assert_max_num_queries
):
    users = [make_user(f"u{n}") for n in range(5)]
    room = Room.objects.get(slug="general")
    drafts = [
        store.Draft(room, users[n], f"@u{(n + 1) % 5} @U{(n + 2) % 5}", None)
        for n in range(5)
    ]
    results = store.messages_create(drafts)
    assert [sorted(r[0].mentions) for r in results] == [
        sorted([users[(n + 1) % 5].pk, users[(n + 2) % 5].pk]) for n in range(5)
    ]
    assert Mention.objects.count() == 10
