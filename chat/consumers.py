"""The room socket, /ws/chat/<slug>/ (PROTOCOL.md, Sockets). Thin on purpose:
parse a frame (chat.frames), authorize, call a service (chat.sending,
chat.selectors, presence.api), send a frame (protocol.wire). Live frames come
through chat.fanout; membership, reads: chat.membership_socket."""

from __future__ import annotations

from channels.db import database_sync_to_async
from django.core.exceptions import PermissionDenied

from accounts.handshake import take_preloaded
from accounts.sockets import UserSocket
from chat import broadcast, edits, fanout, reactions, selectors, sending
from chat.frames import Frame, FrameError, parse_frame
from chat.history import first_history, history_frame, resume_point
from chat.membership_socket import MembershipSocket
from chat.models import Message
from presence import api as presence
from protocol import limits, wire
from realtime import codes, throttle
from realtime import conf as realtime_conf
from realtime.outbound import LocalSocket


class RoomConsumer(MembershipSocket, UserSocket):
    metric_kind = "room"
    room = None
    local: LocalSocket | None = None
    restarting = False

    # --- lifecycle ---------------------------------------------------------

    async def connect(self) -> None:
        if not await self.authenticate():
            return
        self.typing = throttle.Spacing(realtime_conf.typing_interval())
        slug = self.scope["url_route"]["kwargs"]["slug"]
        # Looked up with the session (chat.routing.preload) unless this
        # socket came another way (a test's scope, another router).
        lookup = take_preloaded(self.scope)
        if not isinstance(lookup, selectors.RoomLookup) or lookup.slug != slug:
            lookup = await database_sync_to_async(selectors.room_lookup)(
                slug=slug, user=self.user
            )
        if lookup.banned:
            await self._refuse(
                "forbidden", "You are banned from this room.", codes.FORBIDDEN
            )
            return
        if lookup.room is None:
            await self._refuse("not_found", "No such room.", codes.NOT_FOUND)
            return
        room = lookup.room
        if not await self.claim_slot():
            return
        self.room = room
        self.is_member = room.is_member
        self.user_ref = self.user.ref()
        await self.accept()
        await self.watch_account()
        # Join the room's relay before reading state and history: whatever
        # happens from here on is held for this socket until history is sent.
        self.local = self.local_socket(room.slug)
        # The relay's Room: one instance per room in the process, not per socket.
        self.relay = await fanout.join(room, self.local)
        self.room = self.relay.room
        await self.follow_user()
        await presence.connect(
            socket_id=self.socket_id, user=self.user_ref, room_id=room.id
        )
        state = await presence.state(room.id, room.slug)
        await self.send(state.frame)
        await self._send_first_history(state.present)

    async def _send_first_history(self, present: frozenset[int]) -> None:
        try:
            after, rev = resume_point(self.scope.get("query_string", b""))
        except ValueError:
            after = rev = None
            await self.send_error(
                "bad_request", "`after` and `rev` must be whole numbers ≥ 0."
            )
        room = self.room

        def read():
            return database_sync_to_async(first_history)(
                room=room, after=after, rev=rev
            )

        if after is None:
            # The latest messages: the same for every socket that joins
            # while nothing happens in the room (RoomRelay.first_history).
            frame, start = await self.relay.first_history(read)
        else:
            frame, start = await read()
        await self.send(frame)
        self.local.start(start, present)

    async def _refuse(self, code: str, detail: str, close_code: int) -> None:
        await self.accept()
        await self.send(wire.error(code, detail))
        await self.close(close_code)

    async def leave(self) -> None:
        await self.unfollow_user()
        if self.local is not None:
            await fanout.leave(self.room, self.local)
        if self.room is not None:
            await presence.disconnect(
                socket_id=self.socket_id, restarting=self.restarting
            )

    def kick_room_id(self) -> int | None:
        return self.room.id

    # --- client frames -----------------------------------------------------

    async def receive(self, text_data=None, bytes_data=None) -> None:
        if self.room is None:
            return
        try:
            frame = parse_frame(text_data, bytes_data)
            await self.HANDLERS[frame.type](self, frame)
        except FrameError as error:
            await self.send_error(error.code, error.detail, error.ref)

    async def on_message_send(self, frame: Frame) -> None:
        client_id = frame.fields["client_id"]
        try:
            await self.join_before_sending(client_id)
            sent = await sending.message_send(
                room=self.room,
                author=self.user,
                body=frame.fields["body"],
                client_id=client_id,
            )
        except sending.RateLimited:
            raise FrameError(
                "rate_limited", "You are sending too fast; wait a moment.", client_id
            ) from None
        except ValueError as error:  # the store's own last line of defence
            raise FrameError("bad_request", str(error), client_id) from None
        except sending.RoomGone:
            await self.send_error("not_found", "This room was deleted.", client_id)
            await self.close_with(codes.NOT_FOUND)
            return
        if not sent.created:
            await self.send(sent.frame)  # a retry: nothing was broadcast

    async def on_message_edit(self, frame: Frame) -> None:
        fields = frame.fields

        def change() -> str | None:
            return edits.message_edit(
                room=self.room,
                user=self.user,
                message_id=fields["id"],
                body=fields["body"],
            )

        await self._change(change, frame.client_id)

    async def on_reaction(self, frame: Frame) -> None:
        fields = frame.fields

        def change() -> str | None:
            return reactions.reaction_change(
                room=self.room,
                user=self.user,
                message_id=fields["id"],
                emoji=fields["emoji"],
                added=frame.type == "reaction.add",
            )

        await self._change(change, frame.client_id)

    async def _change(self, change, ref: str | None) -> None:
        try:
            await sending.message_change(room=self.room, user=self.user, change=change)
        except sending.RateLimited:
            raise FrameError(
                "rate_limited", "You are sending too fast; wait a moment.", ref
            ) from None
        except Message.DoesNotExist:
            raise FrameError(
                "not_found", "No such message in this room.", ref
            ) from None
        except PermissionDenied as error:
            raise FrameError("forbidden", str(error), ref) from None
        except reactions.TooManyReactions:
            raise FrameError(
                "bad_request",
                f"A message holds at most {limits.MAX_REACTIONS} different emoji.",
                ref,
            ) from None
        except ValueError as error:  # the services' own last line of defence
            raise FrameError("bad_request", str(error), ref) from None

    async def _history(self, limit: int, **where: int) -> tuple[list, bool]:
        # Rows cost, not frames: a socket pulls CHAT_HISTORY_BUDGET, more waits.
        if "rows" not in self.__dict__:
            self.rows = throttle.RowBucket(*realtime_conf.history_budget())
        await self.rows.take(limit)
        messages, has_more = await database_sync_to_async(selectors.message_history)(
            room=self.room, limit=limit, **where
        )
        self.rows.refund(limit - len(messages))
        return messages, has_more

    async def on_history_before(self, frame: Frame) -> None:
        before, limit = frame.fields["before"], frame.fields["limit"]
        messages, has_more = await self._history(limit, before=before)
        await self.send(
            history_frame(self.room.slug, messages, has_more, before=before)
        )

    async def on_history_after(self, frame: Frame) -> None:
        after, limit = frame.fields["after"], frame.fields["limit"]
        messages, has_more = await self._history(limit, after=after)
        await self.send(history_frame(self.room.slug, messages, has_more, after=after))

    async def on_typing(self, frame: Frame) -> None:
        active = frame.fields["active"]
        # PROTOCOL.md 1.1: one per second whatever its `active` (alternating
        # true/false once made 671 frames 13,420 deliveries in 2 s).
        if not self.typing.allow():
            return
        await broadcast.typing(
            room_id=self.room.id, slug=self.room.slug, user=self.user_ref, active=active
        )

    async def on_ping(self, frame: Frame) -> None:
        if not self.ping_allowed(frame.fields):
            return  # each costs Redis commands; past CHAT_PING_LIMIT, dropped
        await presence.touch(socket_id=self.socket_id)
        await self.send(wire.PONG)

    HANDLERS = {
        "message.send": on_message_send,
        "message.edit": on_message_edit,
        "reaction.add": on_reaction,
        "reaction.remove": on_reaction,
        "history.before": on_history_before,
        "history.after": on_history_after,
        "typing": on_typing,
        "read": MembershipSocket.on_read,
        "ping": on_ping,
    }
