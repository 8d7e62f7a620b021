"""The base of every socket of a signed-in user: the handshake's account
rule and the session check that account events ask for."""

from __future__ import annotations

from accounts.rechecks import shared_check
from accounts.sessions import session_is_valid
from realtime.sockets import JsonSocket


class UserSocket(JsonSocket):
    """A JsonSocket whose `user` is signed in and active (PROTOCOL.md,
    Handshake): `authenticate()` says whether the handshake may go on, and
    has refused it (close before accept: HTTP 403) when not."""

    async def authenticate(self) -> bool:
        self.user = self.scope["user"]
        if not self.user.is_authenticated or not self.user.is_active:
            await self.close()
            return False
        return True

    async def session_still_valid(self) -> bool:
        key = self.scope["session"].session_key
        user_id = self.scope["user"].pk
        return await shared_check(
            (user_id, key),
            lambda: session_is_valid(session_key=key, user_id=user_id),
        )
