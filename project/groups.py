"""Channel-layer group names, built from ids only (never from user text)."""

import hashlib

# Every /ws/presence/ socket: site-wide presence.join / presence.leave.
SITE_GROUP = "site"


def room_group(room_id: int) -> str:
    """Sockets of one room: messages, deletions, typing, the room's presence."""
    return f"room.{room_id}"


def user_group(user_id: int) -> str:
    """Every socket of one user, on every process (deactivation, bans)."""
    return f"user.{user_id}"


def session_group(session_key: str) -> str:
    """Sockets opened with one login session (closed on logout).

    Hashed: the session key is a credential and must not travel to Redis.
    """
    return "session." + hashlib.sha256(session_key.encode()).hexdigest()[:48]
