"""What the room socket does as a member (PROTOCOL.md 1.1): it follows its
user's events (read markers of every room, this membership beginning or
ending), takes `read` frames, and joins a public room before the user's
first message there. Mixed into chat.consumers.RoomConsumer."""

from __future__ import annotations

from channels.db import database_sync_to_async

from chat import memberships, reads
from chat.frames import Frame, FrameError
from chat.models import Room
from chat.sending import RoomGone
from realtime.user_events import UserEvents


class MembershipSocket(UserEvents):
    is_member = False
    read_floor = -1  # the marker this socket last saw itself move to
    following_user = False

    async def follow_user(self) -> None:
        """Read markers of all the user's rooms, and this membership's changes."""
        await self.watch_user_events()
        self.following_user = True

    async def unfollow_user(self) -> None:
        if self.following_user:
            self.following_user = False
            await self.unwatch_user_events()

    async def user_frame(self, event: dict) -> None:
        if not event["site_only"]:
            await self.local.push(event["frame"])

    async def user_membership(self, event: dict) -> None:
        if event["room_id"] == self.room.id:
            self.is_member = event["member"]
            self.read_floor = -1  # a new membership has a marker of its own

    async def join_before_sending(self, client_id: str | None) -> None:
        """Sending in a public room joins it; in any other room a non-member
        is on the way out (chat.fanout's recheck closes the socket)."""
        if self.is_member:
            return
        if self.room.private:
            raise FrameError("forbidden", "You are not a member here.", client_id)
        try:
            await database_sync_to_async(memberships.add)(
                room=self.room, user=self.user
            )
        except Room.DoesNotExist:
            raise RoomGone(self.room.slug) from None
        self.is_member = True

    async def on_read(self, frame: Frame) -> None:
        seq = frame.fields["seq"]
        if seq <= self.read_floor:
            return  # this socket moved the marker that far already: no query
        result = await database_sync_to_async(reads.mark_read)(
            room=self.room, user=self.user, seq=seq
        )
        if result is None:
            raise FrameError("forbidden", "Only members have a read marker here.")
        state, moved = result
        self.read_floor = state.last_read
        if moved:
            await reads.announce(self.user.pk, state)
