"""Account changes that must reach live sockets at once, on every process.

A socket authenticates once, at its handshake; these signals and the mixin
below make deactivation, logout and password changes close it with 4403
within a second (PROTOCOL.md, Close codes).
"""

from __future__ import annotations

import logging

from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.contrib.auth.signals import user_logged_out
from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from accounts.models import User
from accounts.sessions import session_is_valid
from project.groups import session_group, user_group

CLOSE_FORBIDDEN = 4403
logger = logging.getLogger(__name__)


def _send(group: str, event: dict) -> None:
    try:
        async_to_sync(get_channel_layer().group_send)(group, event)
    except Exception:
        # A save or a logout must not fail because Redis is away; sockets
        # then end with their session at the next handshake instead.
        logger.exception("Could not tell live sockets of %s", group)


@receiver(post_save, sender=User, dispatch_uid="accounts.live.user_saved")
def _user_saved(sender, instance: User, created: bool, **kwargs) -> None:
    if created or kwargs.get("update_fields") == frozenset({"last_login"}):
        return
    # Any save may have deactivated the user or changed the password: each
    # socket of the user checks its own session again, after the commit.
    transaction.on_commit(
        lambda: _send(user_group(instance.pk), {"type": "user.recheck"})
    )


@receiver(user_logged_out, dispatch_uid="accounts.live.logged_out")
def _logged_out(sender, request, user, **kwargs) -> None:
    key = getattr(getattr(request, "session", None), "session_key", None)
    if key:
        _send(session_group(key), {"type": "user.kick", "code": CLOSE_FORBIDDEN})


class LiveSessionMixin:
    """For AsyncWebsocketConsumer subclasses: join the user's and the
    session's groups, and close with 4403 when either says so.

    The consumer implements `close_forbidden(code)` (leave presence, close).
    """

    def live_groups(self) -> list[str]:
        groups = [user_group(self.scope["user"].pk)]
        key = self.scope["session"].session_key
        if key:
            groups.append(session_group(key))
        return groups

    async def user_recheck(self, event: dict) -> None:
        valid = await database_sync_to_async(session_is_valid)(
            session_key=self.scope["session"].session_key,
            user_id=self.scope["user"].pk,
        )
        if not valid:
            await self.close_forbidden(CLOSE_FORBIDDEN)

    async def user_kick(self, event: dict) -> None:
        room_id = event.get("room_id")
        if room_id is None or room_id == self.kick_room_id():
            await self.close_forbidden(event.get("code", CLOSE_FORBIDDEN))

    def kick_room_id(self) -> int | None:
        return None
