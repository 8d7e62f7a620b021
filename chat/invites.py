"""How many private rooms others may add one user to (CHAT_INVITE_LIMIT,
"N/S": at most N in any S seconds, across processes, in Redis).

Consent, as chosen here: nobody is asked before being added, as in Slack or
Zulip; the added user hears it (room.added), can leave at once, and cannot
be added to more than N rooms in S seconds by others, so nobody can bury a
user in rooms. Staff, and adding oneself, are not counted.
"""

from __future__ import annotations

from asgiref.sync import async_to_sync
from django.core.exceptions import ValidationError

from chat import conf, ratelimit


def invite_key(user_id: int) -> str:
    return f"chat:invites:{user_id}"


async def _acquire(user_ids: list[int]) -> tuple[list[tuple[int, str]], list[int]]:
    taken, refused = [], []
    for user_id in user_ids:
        token = await ratelimit.acquire_in(invite_key(user_id), conf.invite_limit())
        if token is None:
            refused.append(user_id)
        else:
            taken.append((user_id, token))
    if refused:
        for user_id, token in taken:
            await ratelimit.release_in(invite_key(user_id), token)
    return taken, refused


def count_invites(*, by, users: list, field: str) -> None:
    """Count adding `users` to a private room; ValidationError({field: ...})
    naming those who were added to too many lately (nothing is counted then).
    Sync: services call it on the database thread."""
    if by.is_staff:
        return
    others = [user for user in users if user.pk != by.pk]
    if not others:
        return
    _, refused = async_to_sync(_acquire)([user.pk for user in others])
    if refused:
        names = [user.username for user in others if user.pk in refused]
        raise ValidationError(
            {
                field: [
                    f"{name} was added to too many private rooms lately; "
                    "try again later."
                    for name in names
                ]
            }
        )
