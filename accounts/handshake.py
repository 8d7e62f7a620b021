"""Who opens a socket: the session cookie to `scope["user"]` and
`scope["session"]`, in one trip to the database thread; with `preload`,
whatever else the socket's handshake reads for that user goes in the same
trip (`take_preloaded`: a room socket's room, chat.routing). A trip
costs about 100 µs of CPU with a storm's 200 handshakes in flight
(bench/FINDINGS.md).

It stands where channels' AuthMiddlewareStack (cookies, a lazy session,
then the user) stood, with the same result for the consumers: an active,
authenticated User or an AnonymousUser, and the SessionStore of the cookie
(its data already loaded, so reading it costs no query).
"""

from __future__ import annotations

from collections.abc import Callable

from channels.db import database_sync_to_async
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http import parse_cookie

from accounts.models import User
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


# What the handshake may read for the user, on the database thread: called
# with the scope and the active, signed-in user only (a stranger's socket
# costs no more queries and learns nothing).
Preload = Callable[[dict, User], object]


def _load(session_key: str | None, scope: dict, preload: Preload | None):
    user, data = session_user(session_key)
    preloaded = None
    if preload is not None and user is not None:
        try:
            preloaded = preload(scope, user)
        except Exception:
            # Only a saving: the consumer reads it again itself, and fails
            # there, inside its own error handling, if it fails again.
            preloaded = None
    if session_key is None:
        return AnonymousUser(), None, preloaded
    session = store_class()(session_key=session_key)
    session._session_cache = data  # as load() would have set it
    return user or AnonymousUser(), session, preloaded


class SocketAuthMiddleware:
    """ASGI middleware for WebSockets: sets scope["user"], scope["session"]
    and what `take_preloaded` takes (None without `preload`, or for a
    stranger)."""

    def __init__(self, inner, preload: Preload | None = None) -> None:
        self.inner = inner
        self.preload = preload

    async def __call__(self, scope, receive, send):
        key = _cookie_session_key(scope)
        user, session, preloaded = await database_sync_to_async(_load)(
            key, scope, self.preload
        )
        # In a list that every copy of the scope shares: take_preloaded
        # empties it, so neither a copy nor this frame (suspended below for
        # the socket's life) keeps the result (a Room: 1 KB a socket).
        scope = dict(scope, user=user, session=session, preloaded=[preloaded])
        del preloaded
        return await self.inner(scope, receive, send)


def take_preloaded(scope: dict) -> object | None:
    """The handshake's `preload` result (None when there was none), once."""
    held = scope.get("preloaded")
    return held.pop() if held else None
