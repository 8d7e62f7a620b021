"""The WebSocket handshake's Origin check: scheme, host and port.

channels' AllowedHostsOriginValidator compares only the Origin's host with
ALLOWED_HOSTS, so a page on another port of the same host (a dev server, a
second app), or the plain-http page of a TLS site, could open sockets with
the visitor's cookies. Here the Origin must be the site's own origin, the
one the socket was opened to (the scheme of the connection, http for ws:
and https for wss:, and the Host header, itself in ALLOWED_HOSTS), or one
of CSRF_TRUSTED_ORIGINS (Django's list of origins trusted for unsafe
requests: cross-site WebSocket hijacking is CSRF for sockets). Otherwise,
or without an Origin, the handshake is refused (HTTP 403).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.http.request import split_domain_port, validate_host

DEFAULT_PORTS = {"http": 80, "https": 443}


def normalized(origin: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) of an origin, or None when it is not one."""
    try:
        parts = urlsplit(origin.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
        return None
    return parts.scheme, parts.hostname.lower(), port or DEFAULT_PORTS[parts.scheme]


def origin_allowed(scope: dict) -> bool:
    headers = dict(scope.get("headers", []))
    origin = headers.get(b"origin", b"").decode("latin-1")
    host = headers.get(b"host", b"").decode("latin-1")
    theirs = normalized(origin)
    if theirs is None:
        return False
    trusted = {normalized(o) for o in getattr(settings, "CSRF_TRUSTED_ORIGINS", [])}
    if theirs in trusted:
        return True
    domain, _ = split_domain_port(host)
    if not domain or not validate_host(domain, settings.ALLOWED_HOSTS):
        return False
    scheme = "https" if scope.get("scheme") == "wss" else "http"
    return theirs == normalized(f"{scheme}://{host}")


class SameOriginValidator:
    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "websocket" and not origin_allowed(scope):
            denier = WebsocketDenier()
            return await denier(scope, receive, send)
        return await self.app(scope, receive, send)
