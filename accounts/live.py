"""Account changes that must reach live sockets at once, on every process.

A socket authenticates once, at its handshake; these signals and the mixin
below make deactivation, logout, password changes and bans close it with
4403 within a second (PROTOCOL.md, Close codes).

The events travel on one group, ACCOUNTS_GROUP, that each process
subscribes to once (project.relay) and checks against its own sockets: they
are rare (an admin action, a logout), so every process reading all of them
costs less than a subscription per socket or per user.

    {"type": "user.recheck", "user_id": id}            the user was saved
    {"type": "user.kick", "user_id": id, "room_id": r | None, "code": c}
    {"type": "session.kick", "user_id": id, "session": digest, "code": c}
"""

from __future__ import annotations

import asyncio
import hashlib
import logging

from asgiref.sync import async_to_sync
from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.contrib.auth.signals import user_logged_out
from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from accounts.models import User
from accounts.sessions import session_is_valid
from project.groups import ACCOUNTS_GROUP
from project.relay import GroupRelay, Relays

CLOSE_FORBIDDEN = 4403
logger = logging.getLogger(__name__)


def session_digest(session_key: str) -> str:
    """What identifies a session in events: the key is a credential and must
    not travel to Redis."""
    return hashlib.sha256(session_key.encode()).hexdigest()[:48]


async def send_event(event: dict) -> None:
    """An account event to every process (see the module docstring)."""
    await get_channel_layer().group_send(ACCOUNTS_GROUP, event)


def _send(event: dict) -> None:
    try:
        async_to_sync(send_event)(event)
    except Exception:
        # A save or a logout must not fail because Redis is away; sockets
        # then end with their session at the next handshake instead.
        logger.exception("Could not tell live sockets of %s", event["type"])


@receiver(post_save, sender=User, dispatch_uid="accounts.live.user_saved")
def _user_saved(sender, instance: User, created: bool, **kwargs) -> None:
    if created or kwargs.get("update_fields") == frozenset({"last_login"}):
        return
    # Any save may have deactivated the user or changed the password: each
    # socket of the user checks its own session again, after the commit.
    event = {"type": "user.recheck", "user_id": instance.pk}
    transaction.on_commit(lambda: _send(event))


@receiver(user_logged_out, dispatch_uid="accounts.live.logged_out")
def _logged_out(sender, request, user, **kwargs) -> None:
    key = getattr(getattr(request, "session", None), "session_key", None)
    if key and user is not None:
        _send(
            {
                "type": "session.kick",
                "user_id": user.pk,
                "session": session_digest(key),
                "code": CLOSE_FORBIDDEN,
            }
        )


class AccountRelay(GroupRelay):
    """This process's subscription to ACCOUNTS_GROUP; members: live sockets
    (LiveSessionMixin). An event runs the matching handler of each socket of
    its user, in a task of its own: a slow close never holds up the others."""

    def __init__(self, key: object = None) -> None:
        super().__init__(ACCOUNTS_GROUP)
        self.running: set[asyncio.Task] = set()

    async def handle(self, event: dict) -> None:
        user_id = event.get("user_id")
        name = get_handler_name(event)
        for sock in list(self.members):
            handler = getattr(sock, name, None)
            if handler is not None and sock.scope["user"].pk == user_id:
                task = asyncio.ensure_future(handler(event))
                self.running.add(task)
                task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task) -> None:
        self.running.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.warning("An account event failed on a socket: %r", task.exception())


_relays: Relays[AccountRelay] = Relays(AccountRelay)


class LiveSessionMixin:
    """For the site's sockets: close with 4403 when the account or the login
    session says so.

    The consumer calls `watch_account()` once authenticated and
    `unwatch_account()` when it ends, and implements `close_forbidden(code)`
    (leave presence, close) and `kick_room_id()`.
    """

    async def watch_account(self) -> None:
        await _relays.join(None, self)

    async def unwatch_account(self) -> None:
        await _relays.leave(None, self)

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

    async def session_kick(self, event: dict) -> None:
        key = self.scope["session"].session_key
        if key and session_digest(key) == event["session"]:
            await self.close_forbidden(event.get("code", CLOSE_FORBIDDEN))

    def kick_room_id(self) -> int | None:
        return None
