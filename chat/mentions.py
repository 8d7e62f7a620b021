"""@mentions (PROTOCOL.md 1.1, "A mention"): found in a body once, when the
message is stored (chat.store), and kept on the message (Message.mentions)
and, for unread counts, as Mention rows.

`@name` counts when the character before `@` is not a letter, digit or `_`,
and the character after the name is not a letter, digit, `_`, `+`, `-` or
`@`, nor a `.` followed by a letter or digit; the name is matched
case-insensitively (accounts.usernames), and counts when it names an active
user who can open the room. Usernames may hold `.`, `@`, `+` and `-`, so one
`@` may name "bob" or "bob.": the longest name that is a user wins.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from accounts.usernames import users_named
from chat.models import Mention, Message, Room
from protocol.limits import MAX_USERNAME

# A body of 4000 characters could name thousands of users; past this many
# names one message mentions nobody more (a hostile body must not turn into a
# huge query).
MAX_NAMES = 100
LOOKUP_CHUNK = 500  # names per query (SQLite's parameter limit)


def _wordy(char: str) -> bool:
    return char.isalnum() or char == "_"


def _name_char(char: str) -> bool:
    return _wordy(char) or char in ".@+-"


def _ends_name(text: str, at: int) -> bool:
    """May a name end just before `at`?"""
    if at == len(text):
        return True
    char = text[at]
    if _wordy(char) or char in "+-@":
        return False
    if char == ".":
        return at + 1 == len(text) or not text[at + 1].isalnum()
    return True


def candidates(body: str) -> list[list[str]]:
    """For each `@` that may start a mention, the names it may stand for,
    longest first."""
    found: list[list[str]] = []
    start = body.find("@")
    while start != -1:
        if start == 0 or not _wordy(body[start - 1]):
            names = []
            end = start + 1
            limit = min(len(body), start + 1 + MAX_USERNAME)
            while end < limit and _name_char(body[end]):
                end += 1
                if _ends_name(body, end):
                    names.append(body[start + 1 : end])
            if names:
                found.append(names[::-1])
        start = body.find("@", start + 1)
    return found


def _sites(body: str) -> list[list[str]]:
    """candidates(), cut where the names to look up pass MAX_NAMES."""
    if "@" not in body:
        return []
    kept, count = [], 0
    for site in candidates(body):
        count += len(site)
        if count > MAX_NAMES:
            break
        kept.append(site)
    return kept


def _users(names: list[str]) -> dict[str, object]:
    found = {}
    for i in range(0, len(names), LOOKUP_CHUNK):
        found.update(users_named(names[i : i + LOOKUP_CHUNK], active=True))
    return found


def _who_can_open(rooms: Iterable[Room], user_ids: set[int]) -> dict[int, set[int]]:
    """Room id -> which of `user_ids` can open it (not banned; a member, for
    a private or direct room). Two queries whatever the number of rooms."""
    rooms = list({room.pk: room for room in rooms}.values())
    ids = [room.pk for room in rooms]
    banned: dict[int, set[int]] = {}
    for room_id, user_id in Room.banned.through.objects.filter(
        room_id__in=ids, user_id__in=user_ids
    ).values_list("room_id", "user_id"):
        banned.setdefault(room_id, set()).add(user_id)
    members: dict[int, set[int]] = {}
    closed = [room.pk for room in rooms if room.private]
    if closed:
        for room_id, user_id in Room.members.through.objects.filter(
            room_id__in=closed, user_id__in=user_ids
        ).values_list("room_id", "user_id"):
            members.setdefault(room_id, set()).add(user_id)
    return {
        room.pk: (members.get(room.pk, set()) if room.private else set(user_ids))
        - banned.get(room.pk, set())
        for room in rooms
    }


def resolve(drafts: Sequence[tuple[Room, str]]) -> list[list[int]]:
    """Per (room, body): the ids of the users it mentions, ascending. No
    query at all when no body holds an `@`."""
    sites = [_sites(body) for _, body in drafts]
    names = list(dict.fromkeys(n for found in sites for site in found for n in site))
    if not names:
        return [[] for _ in drafts]
    users = _users(names)
    picked: list[set[int]] = []
    for found in sites:
        ids = set()
        for site in found:
            user = next((users[n] for n in site if n in users), None)
            if user is not None:
                ids.add(user.pk)
        picked.append(ids)
    everyone = set().union(*picked)
    if not everyone:
        return [[] for _ in drafts]
    allowed = _who_can_open((room for room, _ in drafts), everyone)
    return [
        sorted(ids & allowed[room.pk])
        for (room, _), ids in zip(drafts, picked, strict=True)
    ]


def index_rows(messages: Iterable[Message]) -> list[Mention]:
    """The Mention rows of stored messages (the author's own name left out:
    nobody has unread mentions of themselves)."""
    return [
        Mention(message=m, user_id=uid, room_id=m.room_id, seq=m.seq)
        for m in messages
        for uid in m.mentions
        if uid != m.author_id
    ]
