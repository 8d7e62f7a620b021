"""Channel-layer group names, built from ids only (never from user text)."""

# Every /ws/presence/ socket: site-wide presence.join / presence.leave.
SITE_GROUP = "site"


def room_group(room_id: int) -> str:
    """Sockets of one room: messages, deletions, typing, the room's presence."""
    return f"room.{room_id}"


# Account events (accounts.live): one subscription per process, not per user.
ACCOUNTS_GROUP = "accounts"


def user_group(user_id: int) -> str:
    """Every socket of one user, on every process (realtime.user_events)."""
    return f"user.{user_id}"


def activity_group(room_id: int) -> str:
    """The site sockets of a room's members: room.activity (chat.activity)."""
    return f"activity.{room_id}"
