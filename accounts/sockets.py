"""The base of every socket of a signed-in user: the handshake's account
rule and the session check that account events ask for."""

from __future__ import annotations

from channels.db import database_sync_to_async

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
        return await database_sync_to_async(session_is_valid)(
            session_key=self.scope["session"].session_key,
            user_id=self.scope["user"].pk,
        )
