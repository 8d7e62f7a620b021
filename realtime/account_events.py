"""Account changes that must reach live sockets at once, on every process.

A socket authenticates once, at its handshake; these events make
deactivation, logout, password changes and bans close it with 4403 within a
second (PROTOCOL.md, Close codes). Apps send them (accounts.live on saves and
logouts, chat.broadcast on bans); this module only carries them.

The events travel on one group, ACCOUNTS_GROUP, that each process subscribes
to once (realtime.relay) and checks against its own sockets: they are rare
(an admin action, a logout), so every process reading all of them costs less
than a subscription per socket or per user. Their shapes: protocol.events.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging

from channels.consumer import get_handler_name
from channels.layers import get_channel_layer

from realtime import codes
from realtime.groups import ACCOUNTS_GROUP
from realtime.relay import GroupRelay, Relays

logger = logging.getLogger(__name__)


def session_digest(session_key: str) -> str:
    """What identifies a session in events: the key is a credential and must
    not travel to Redis."""
    return hashlib.sha256(session_key.encode()).hexdigest()[:48]


async def send_event(event: dict) -> None:
    """An account event (protocol.events) to every process."""
    await get_channel_layer().group_send(ACCOUNTS_GROUP, event)


class AccountRelay(GroupRelay):
    """This process's subscription to ACCOUNTS_GROUP; members: live sockets
    (AccountWatcher). An event runs the matching handler of each socket of
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


class AccountWatcher:
    """For the site's sockets: close with 4403 when the account or the login
    session says so.

    The socket calls `watch_account()` once authenticated and
    `unwatch_account()` when it ends, and implements `close_forbidden(code)`,
    `session_still_valid()` (the app's rule: accounts.sockets) and
    `kick_room_id()`.
    """

    async def watch_account(self) -> None:
        await _relays.join(None, self)

    async def unwatch_account(self) -> None:
        await _relays.leave(None, self)

    async def session_still_valid(self) -> bool:
        raise NotImplementedError

    async def close_forbidden(self, code: int) -> None:
        raise NotImplementedError

    def kick_room_id(self) -> int | None:
        return None

    async def user_recheck(self, event: dict) -> None:
        if not await self.session_still_valid():
            await self.close_forbidden(codes.FORBIDDEN)

    async def user_kick(self, event: dict) -> None:
        room_id = event.get("room_id")
        if room_id is None or room_id == self.kick_room_id():
            await self.close_forbidden(event.get("code", codes.FORBIDDEN))

    async def session_kick(self, event: dict) -> None:
        key = self.scope["session"].session_key
        if key and session_digest(key) == event["session"]:
            await self.close_forbidden(event.get("code", codes.FORBIDDEN))
