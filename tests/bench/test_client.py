"""bench/client.py reads presence frames without json.loads: what it reads
must be what the frame says, for every frame protocol.wire makes."""

from __future__ import annotations

import json

import pytest

from bench.client import _PRESENCE
from protocol import wire

USERS = [
    {"id": 7, "username": "alice", "display_name": "Alice"},
    {"id": 123456, "username": 'a"b', "display_name": 'x", "id": 9, "y'},
    {"id": 1, "username": "пётр", "display_name": "Пётр 🙂"},
]


@pytest.mark.parametrize("kind", ["presence.join", "presence.leave"])
@pytest.mark.parametrize("room", ["general", "a-room-2", None])
@pytest.mark.parametrize("user", USERS)
def test_the_fast_path_reads_what_json_reads(kind, room, user):
    text = wire.presence_change(kind, room=room, user=user)
    found = _PRESENCE.match(text)
    frame = json.loads(text)
    assert found is not None
    assert f"presence.{found[1]}" == frame["type"]
    assert int(found[2]) == frame["user"]["id"]


def test_other_frames_go_through_json():
    for text in (
        wire.presence_state(room="general", users=USERS),
        wire.typing(room="general", user=USERS[0], active=True),
        json.dumps({"type": "presence.joined", "room": "general", "user": {"id": 1}}),
    ):
        assert _PRESENCE.match(text) is None
