"""What every socket of the site shares: JSON frames in, `error` frames out,
the 4429 flood rule, close-once, account events (realtime.account_events),
and channels' consumer without a channel of its own or a thread hop per event.

The room socket (chat.consumers) and the presence socket
(presence.consumers) differ only in the frames they understand.
"""

from __future__ import annotations

import contextlib
import logging
import time
import uuid
from collections import deque

from channels.consumer import get_handler_name
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.layers import get_channel_layer

from protocol import wire
from realtime import codes, conf, liveness, metrics, socketcap, throttle
from realtime.account_events import AccountWatcher
from realtime.envelope import ref_of
from realtime.failures import is_outage, outage_log
from realtime.outbound import LocalSocket
from realtime.presence_fan import wants_diff
from realtime.transport import shed_handshake

logger = logging.getLogger(__name__)

ERROR_WINDOW = 10.0  # seconds
ERROR_LIMIT = 20  # error replies per window; the next one closes with 4429


class JsonSocket(AccountWatcher, AsyncWebsocketConsumer):
    """Base of the site's sockets. Subclasses implement `leave()` (give up
    presence and subscriptions), call `watch_account()` once the user is
    known, and may call `send_error`."""

    errors: deque[float]
    socket_id: str
    # The `kind` label of the chat_sockets gauge (/metrics): which path.
    metric_kind = "socket"
    restarting = False  # closed by a server restart (1012)
    # ?heartbeat= (realtime.liveness): seconds and watch, or why it was bad.
    heartbeat_s: int | None = None
    bad_heartbeat: str | None = None
    watch: liveness.Watch | None = None

    async def __call__(self, scope, receive, send) -> None:
        # Unlike channels' consumer, no channel-layer channel of its own:
        # rooms, site presence and account events reach the socket through
        # one relay per process each (realtime.relay). The client's frames are
        # then the only input, read in place, with no task per frame.
        self.scope = scope
        self.channel_layer = get_channel_layer(self.channel_layer_alias)
        self.socket_id = uuid.uuid4().hex  # the socket's name in presence
        self.base_send = send
        self.heartbeat_s, self.bad_heartbeat = liveness.parse(scope)
        try:
            with contextlib.suppress(StopConsumer):
                while True:
                    await self.dispatch(await receive())
        except Exception as error:
            await self._crashed(error)
        finally:
            # Whatever a handler raised, or if the task was cancelled: the
            # socket gives up presence, its relays and its slot, or it would
            # be a ghost kept alive by this process's heartbeat.
            if not self.__dict__.get("ended"):
                await self._end()

    async def websocket_receive(self, message: dict) -> None:
        # An outage (Redis, the database) fails this one frame, not the
        # socket: the client is told `unavailable` and may retry.
        self.frame = message  # for the `ref` of an error, should it fail
        if self.watch is not None:
            self.watch.heard()
        try:
            await super().websocket_receive(message)
        except Exception as error:
            if not is_outage(error):
                raise
            outage_log.warning(self.describe(), error)
            metrics.OUTAGES.inc()
            await self.send_error(
                "unavailable",
                "The server cannot do this right now; retry soon.",
                ref_of(message),
                counts=False,
            )
        self.frame = None

    async def _crashed(self, error: Exception) -> None:
        """An unexpected exception: logged once, told to the client as
        `unavailable`, and the socket closes with 1011. Other sockets go on."""
        if is_outage(error):  # e.g. a handshake while Redis is down
            outage_log.warning(self.describe(), error)
            metrics.OUTAGES.inc()
        else:
            logger.error("Socket failed: %s", self.describe(), exc_info=error)
            metrics.SOCKET_FAILURES.inc()
        if self.__dict__.get("ended"):
            return
        frame = self.__dict__.get("frame")
        metrics.error_sent("unavailable")
        with contextlib.suppress(Exception):
            if not self.__dict__.get("accepted"):
                await self.accept()
            await self.send(
                wire.error(
                    "unavailable",
                    "The server failed on this socket; reconnect.",
                    ref_of(frame),
                )
            )
        with contextlib.suppress(Exception):
            await self.close_with(codes.INTERNAL_ERROR)

    def describe(self) -> str:
        """The socket in a log line: its user and path (the room's slug)."""
        user_id = getattr(self.scope.get("user"), "pk", None)
        return f"user={user_id} path={self.scope.get('path')}"

    async def accept(self, subprotocol=None, headers=None) -> None:
        if not self.__dict__.get("accepted"):
            self.accepted = True
            self.kind = metrics.SOCKETS.labels(kind=self.metric_kind)
            self.kind.inc()
            if self.heartbeat_s is not None:  # counted from here
                self.watch = liveness.watch(self.heartbeat_s, self._silent)
        await super().accept(subprotocol, headers)
        shed_handshake(self.base_send, self.scope)

    async def _silent(self) -> None:
        await self.close_with(codes.SILENT)

    async def dispatch(self, message: dict) -> None:
        # channels' dispatch() hops to a worker thread to close stale database
        # connections before every event, about 100 µs of CPU each. Every ORM
        # call here goes through database_sync_to_async, which does that in
        # its own thread, so the hop buys nothing.
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def send_error(
        self, code: str, detail: str, ref: str | None = None, *, counts: bool = True
    ) -> None:
        """An `error` frame, or the 4429 close when this would be the 21st
        error within ERROR_WINDOW seconds. `counts=False`: the server's fault
        (an outage), which must not close a client for flooding."""
        if counts:
            errors = self.__dict__.setdefault("errors", deque())
            now = time.monotonic()
            while errors and now - errors[0] > ERROR_WINDOW:
                errors.popleft()
            if len(errors) >= ERROR_LIMIT:
                await self.close_with(codes.FLOODING)
                return
            errors.append(now)
        metrics.error_sent(code)
        await self.send(wire.error(code, detail, ref))

    async def leave(self) -> None:
        """Give up presence and room subscriptions (idempotent)."""

    def ping_allowed(self, fields: dict) -> bool:
        """Whether this `ping` may refresh presence and get its pong (past
        CHAT_PING_LIMIT, dropped); its `heartbeat` re-declares (liveness)."""
        if (seconds := fields.get("heartbeat")) and not self.__dict__.get("ended"):
            self.watch = liveness.redeclare(self.watch, seconds, self._silent)
        pings = self.__dict__.get("pings")
        if pings is None:
            pings = self.pings = throttle.Window(*conf.ping_limit())
        return pings.allow()

    async def claim_slot(self) -> bool:
        """One of the user's CHAT_MAX_SOCKETS_PER_USER slots (realtime.socketcap),
        or False after refusing the socket as PROTOCOL.md 1.1 says: accepted,
        `error` rate_limited, closed with 4429."""
        if await socketcap.claim(user_id=self.user.id, socket_id=self.socket_id):
            return True
        await self.accept()
        await self.send(
            wire.error(
                "rate_limited",
                "You have too many open connections; close a tab or window.",
            )
        )
        await self.close(codes.FLOODING)
        return False

    def local_socket(self, room: str | None = None) -> LocalSocket:
        """This socket as relays see it, of `room` (None: the site); past its
        backlog it is closed with 1013 (PROTOCOL.md) and the client resumes."""
        diff, bad_diff = wants_diff(self.scope)
        sock = LocalSocket(
            user_id=self.user.id,
            send=self.base_send,
            on_overflow=self._too_far_behind,
            close=self.close_with,
            presence_diff=diff,
            presence_room=room,
        )
        for problem in (self.bad_heartbeat, bad_diff):  # held until first frames
            if problem is not None:
                metrics.error_sent("bad_request")
                sock.held.append((None, wire.error("bad_request", problem)))
        return sock

    async def _too_far_behind(self) -> None:
        await self.close_with(codes.TOO_FAR_BEHIND)

    async def close_with(self, code: int) -> None:
        # Account events and the 1013 rule reach the socket from relays'
        # tasks: once closing or closed, a second close has nothing to do.
        if self.__dict__.get("ended"):
            return
        # Leave now rather than on the disconnect that follows: the others
        # must see the leave even if that disconnect never comes.
        metrics.socket_closed(code)
        await self._end()
        with contextlib.suppress(RuntimeError):  # closed by its ping timeout
            await self.close(code)

    async def close_forbidden(self, code: int) -> None:
        await self.close_with(code)

    async def disconnect(self, code: int) -> None:
        # 1012: the server is restarting (uvicorn closes every socket with it
        # on SIGTERM) and the client will be back in a few seconds.
        self.restarting = code == codes.SERVICE_RESTART
        await self._end()

    async def _end(self) -> None:
        # Runs more than once (a close, then the disconnect); each step is
        # idempotent, and one failing (Redis down) must not skip the next.
        self.ended = True
        if self.watch is not None:
            liveness.unwatch(self.watch)
            self.watch = None
        kind = self.__dict__.pop("kind", None)
        if kind is not None:
            kind.dec()
        for step in (self.unwatch_account, self.leave, self._release_slot):
            try:
                await step()
            except Exception as error:
                logger.warning(
                    "Socket cleanup step %s failed: %s (%s: %s)",
                    step.__name__,
                    self.describe(),
                    type(error).__name__,
                    error,
                )

    async def _release_slot(self) -> None:
        await socketcap.release(socket_id=self.socket_id)
