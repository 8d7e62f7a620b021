"""Who opens a socket: the session cookie to `scope["user"]` and
`scope["session"]`, in one trip to the database thread.

It stands where channels' AuthMiddlewareStack (cookies, a lazy session,
then the user) stood, with the same result for the consumers: an active,
authenticated User or an AnonymousUser, and the SessionStore of the cookie
(its data already loaded, so reading it costs no query).
"""

from __future__ import annotations

from channels.db import database_sync_to_async
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http import parse_cookie

from accounts.sessions import session_user, store_class


def _cookie_session_key(scope: dict) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == b"cookie":
            found = parse_cookie(value.decode("latin1")).get(
                settings.SESSION_COOKIE_NAME
            )
            if found:
                return found
    return None


def _load(session_key: str | None):
    user, data = session_user(session_key)
    if session_key is None:
        return AnonymousUser(), None
    session = store_class()(session_key=session_key)
    session._session_cache = data  # as load() would have set it
    return user or AnonymousUser(), session


class SocketAuthMiddleware:
    """ASGI middleware for WebSockets: sets scope["user"] and scope["session"]."""

    def __init__(self, inner) -> None:
        self.inner = inner

    async def __call__(self, scope, receive, send):
        key = _cookie_session_key(scope)
        user, session = await database_sync_to_async(_load)(key)
        return await self.inner(dict(scope, user=user, session=session), receive, send)
