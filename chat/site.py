"""The site socket, /ws/presence/ (PROTOCOL.md 1.1, Activity, mentions and
the site socket): presence (presence.consumers), plus what the user must
hear beyond the room they look at: room.activity, mention, read,
room.added, room.removed, room.updated.

Each process keeps, for its own site sockets, which rooms their user is a
member of (read once when the socket opens, then followed through the
user's membership events: realtime.user_events) and subscribes, on one
channel, to activity_group(room) for each of those rooms (realtime.keyed).
A stored message is published once to its room's activity group; each
process that has members' site sockets gets it once and picks, with no
query, which of its sockets hear it: members, not the author, not muted
unless mentioned.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Hashable

from channels.db import database_sync_to_async

from chat import memberships
from presence.consumers import PresenceConsumer
from protocol import wire
from realtime.groups import activity_group
from realtime.keyed import KeyedRelay, PerLoop
from realtime.outbound import LocalSocket
from realtime.transport import encode_text
from realtime.user_events import UserEvents

logger = logging.getLogger(__name__)


class ActivityRelay(KeyedRelay):
    """This process's subscriptions to the activity groups of the rooms its
    site sockets' users are members of; members: those LocalSockets."""

    event_key = "room_id"

    def __init__(self) -> None:
        super().__init__(activity_group)
        self.muted: set[tuple[Hashable, LocalSocket]] = set()

    async def handle(self, room_id: Hashable, event: dict, members: set) -> None:
        if event["type"] == "room.changed":
            for sock in list(members):
                await sock.push(event["frame"])
            return
        if event["type"] != "room.activity":
            return
        author = event["user"]["id"]
        mentioned = set(event["mentions"])
        # At most two frames (mentioned or not), each encoded once for all.
        frames: dict[bool, tuple[str, bytes]] = {}
        for sock in list(members):
            if sock.user_id == author:
                continue
            mention = sock.user_id in mentioned
            if not mention and (room_id, sock) in self.muted:
                continue
            pair = frames.get(mention)
            if pair is None:
                frame = wire.room_activity(
                    room=event["slug"],
                    seq=event["seq"],
                    user=event["user"],
                    mention=mention,
                )
                pair = frames[mention] = (frame, encode_text([frame]))
            await sock.push(*pair)


_activity = PerLoop(ActivityRelay)


class SiteConsumer(UserEvents, PresenceConsumer):
    following: dict[int, bool] | None = None  # room id -> muted

    async def before_start(self) -> None:
        # Membership events are applied in order, by one task of this socket:
        # the relay that delivers them never waits for a subscription.
        self.changes: list[dict] = []
        self.applying: asyncio.Task | None = None
        self.following = {}
        await self.watch_user_events()
        rooms = await database_sync_to_async(memberships.rooms_of)(self.user.pk)
        relay = _activity.get()
        await asyncio.gather(*(relay.join(room_id, self.local) for room_id in rooms))
        if self.following is None:  # the socket ended meanwhile
            await asyncio.gather(*(relay.leave(r, self.local) for r in rooms))
            return
        for room_id, muted in rooms.items():
            self._set_muted(room_id, muted)
        self.following.update(rooms)
        # Changes that came while the rooms were read: apply them now.
        self._schedule()

    def _set_muted(self, room_id: int, muted: bool) -> None:
        entry = (room_id, self.local)
        if muted:
            _activity.get().muted.add(entry)
        else:
            _activity.get().muted.discard(entry)

    async def user_frame(self, event: dict) -> None:
        if self.changes or self.applying is not None:
            # Behind a membership change still being applied: keep the order
            # (room.added before the room's first read frame).
            self.changes.append(event)
            return
        await self.local.push(event["frame"])

    async def user_membership(self, event: dict) -> None:
        self.changes.append(event)
        self._schedule()

    def _schedule(self) -> None:
        if self.changes and self.applying is None and self.following is not None:
            self.applying = asyncio.ensure_future(self._apply())

    async def _apply(self) -> None:
        try:
            while self.changes and self.following is not None:
                await self._apply_one(self.changes.pop(0))
        except Exception:
            logger.exception("A site socket failed to follow a membership")
        finally:
            self.applying = None

    async def _apply_one(self, event: dict) -> None:
        if event["type"] == "user.frame":
            await self.local.push(event["frame"])
            return
        room_id, relay = event["room_id"], _activity.get()
        if event["member"]:
            if room_id not in self.following:
                await relay.join(room_id, self.local)
            self.following[room_id] = event["muted"]
            self._set_muted(room_id, event["muted"])
        elif room_id in self.following:
            del self.following[room_id]
            self._set_muted(room_id, False)
            await relay.leave(room_id, self.local)
        if event["frame"] is not None:
            await self.local.push(event["frame"])

    async def leave(self) -> None:
        following, self.following = self.following, None
        if following is not None:
            if self.applying is not None:
                self.applying.cancel()
            await self.unwatch_user_events()
            relay = _activity.get()
            for room_id in following:
                self._set_muted(room_id, False)
            await asyncio.gather(
                *(relay.leave(room_id, self.local) for room_id in following),
                return_exceptions=True,
            )
        await super().leave()
