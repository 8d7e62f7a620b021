"""The site-wide presence socket, /ws/presence/ (PROTOCOL.md, Sockets).

Thin: authorize, register with presence.api, and receive the site's joins
and leaves through this process's one subscription to SITE_GROUP
(realtime.relay). The only client frame it knows is `ping`.
"""

from __future__ import annotations

from accounts.sockets import UserSocket
from presence import api as presence
from protocol import wire
from realtime import liveness
from realtime.envelope import FrameError, parse_envelope
from realtime.groups import SITE_GROUP
from realtime.outbound import LocalSocket
from realtime.presence_fan import PresenceFan
from realtime.relay import GroupRelay, Relays


def parse_frame(text_data: str | None, bytes_data: bytes | None) -> dict:
    """The fields of a `ping` (its `heartbeat`, if any), or a FrameError."""
    frame, _kind, ref = parse_envelope(text_data)
    if frame["type"] != "ping":
        raise FrameError("unknown_type", "This socket only understands `ping`.", ref)
    # An optional `heartbeat` re-declares the socket's (README, Liveness).
    seconds, problem = liveness.ping_heartbeat(frame)
    if problem:
        raise FrameError("bad_request", problem, ref)
    return {} if seconds is None else {"heartbeat": seconds}


class SiteRelay(GroupRelay):
    """This process's subscription to SITE_GROUP; members: LocalSockets."""

    def __init__(self, key: object = None) -> None:
        super().__init__(SITE_GROUP)
        self.presence = PresenceFan(None, self.members)

    async def handle(self, event: dict) -> None:
        if event["type"] == "presence.changes" and event["room_id"] is None:
            for kind, user in event["changes"]:
                self.presence.add(kind, user)

    async def stop(self) -> None:
        self.presence.cancel()
        await super().stop()


_relays: Relays[SiteRelay] = Relays(SiteRelay)


class PresenceConsumer(UserSocket):
    metric_kind = "presence"
    registered = False
    local: LocalSocket | None = None
    restarting = False

    async def connect(self) -> None:
        if not await self.authenticate() or not await self.claim_slot():
            return
        await self.watch_account()
        # Subscribe before registering and reading: whatever changes after the
        # read is held for this socket until presence.state is sent.
        self.local = self.local_socket()
        await _relays.join(None, self.local)
        await self.accept()
        await presence.connect(
            socket_id=self.socket_id, user=self.user.ref(), room_id=None
        )
        self.registered = True
        await self.before_start()
        state = await presence.state(None, None)
        await self.send(state.frame)
        self.local.start(present=state.present)

    async def before_start(self) -> None:
        """For subclasses: subscribe to more before presence.state goes out
        (so a client that has it hears everything from then on); live frames
        are held meanwhile and follow presence.state in order."""

    async def leave(self) -> None:
        if self.local is not None:
            self.local.cancel()
            await _relays.leave(None, self.local)
        if self.registered:
            self.registered = False
            await presence.disconnect(
                socket_id=self.socket_id, restarting=self.restarting
            )

    async def receive(
        self, text_data: str | None = None, bytes_data: bytes | None = None
    ) -> None:
        try:
            fields = parse_frame(text_data, bytes_data)
        except FrameError as error:
            await self.send_error(error.code, error.detail, error.ref)
            return
        if not self.ping_allowed(fields):
            return  # past CHAT_PING_LIMIT: dropped, like on room sockets
        await presence.touch(socket_id=self.socket_id)
        await self.send(wire.PONG)
