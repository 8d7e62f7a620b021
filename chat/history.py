"""A room socket's history frames: the first one of a handshake (the latest
messages, or what a resuming client missed) and the pages it asks for
(PROTOCOL.md, Frames the server sends first; Delivery semantics). The first
history runs on the database thread, whole."""

from __future__ import annotations

from urllib.parse import parse_qs

from chat import selectors
from chat.serializers import message_dict
from protocol import limits, wire


def history_frame(room_slug: str, messages: list, has_more: bool, **echo) -> str:
    return wire.history(
        room=room_slug,
        messages=[message_dict(m) for m in messages],
        has_more=has_more,
        **echo,
    )


def resume_point(query_string: bytes) -> tuple[int | None, int | None]:
    """The `after` and `rev` of `?after=<seq>&rev=<rev>`, None when absent
    (`rev` counts only with `after`); ValueError when bad."""
    query = parse_qs(query_string.decode("latin-1"))
    found = []
    for name in ("after", "rev"):
        values = query.get(name)
        value = int(values[-1]) if values else None
        if value is not None and not 0 <= value <= limits.MAX_INT64:
            raise ValueError(value)
        found.append(value)
    after, rev = found
    return after, rev if after is not None else None


def first_history(*, room, after: int | None, rev: int | None) -> tuple[str, int]:
    """The first history frame and the room's head now, in one thread hop.

    The room's seq and rev are read first: whatever changes after that read
    reaches the socket live (it joined the relay before), so the client may
    see a change twice (clients apply frames idempotently) but never miss
    one."""
    snapshot, revision = selectors.room_head(room=room)
    echo: dict = {"rev": revision}
    if after is None:
        messages, has_more = selectors.message_history(
            room=room, limit=limits.INITIAL_HISTORY
        )
    else:
        messages, has_more = selectors.message_history(
            room=room, after=after, limit=limits.RESUME_HISTORY
        )
        if rev is not None:
            changed, more = selectors.messages_changed(
                room=room, after=after, rev=rev, limit=limits.RESUME_CHANGED
            )
            echo["changed"] = [message_dict(m) for m in changed]
            echo["changed_more"] = more
    frame = history_frame(room.slug, messages, has_more, **echo)
    newest = messages[-1].seq if messages else 0
    # Live messages continue from what the client holds, or, when the
    # resume set was cut at 500, from the room's head at join time (the
    # client pages the middle in with history.after).
    return frame, max(newest, snapshot)
