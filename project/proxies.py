"""TRUSTED_PROXIES: whose X-Forwarded-For and X-Forwarded-Proto count.

An ASGI middleware in front of HTTP and WebSockets. A request whose peer is
one of the trusted proxies (addresses or networks, default: none) gets its
client address from X-Forwarded-For (the right-most address that is not
itself a trusted proxy: what our own proxy saw) and its scheme from
X-Forwarded-Proto. From anyone else both headers are removed, so nothing
further in (Django, allauth's per-IP limits, logs) can be fooled by a
client that sends its own. uvicorn must then not rewrite them itself
(`--no-proxy-headers`; devserver.serve does so): its default trusts
127.0.0.1, which is also where a local proxy forwards the client's header.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from django.conf import settings

FORWARDED = (b"x-forwarded-for", b"x-forwarded-proto")


@lru_cache(maxsize=8)
def _networks(entries: tuple[str, ...]) -> tuple:
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in entries)


def is_trusted(address: str | None, entries: tuple[str, ...]) -> bool:
    if not address or not entries:
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in _networks(entries))


def _header(headers: list, name: bytes) -> str | None:
    values = [v.decode("latin-1") for k, v in headers if k.lower() == name]
    return ",".join(values) if values else None


def forwarded_scope(scope: dict, entries: tuple[str, ...]) -> dict:
    """`scope` as the trusted proxies describe it, or without their headers."""
    headers = scope.get("headers", [])
    client = scope.get("client")
    if not is_trusted(client[0] if client else None, entries):
        if any(k.lower() in FORWARDED for k, _ in headers):
            scope = {
                **scope,
                "headers": [h for h in headers if h[0].lower() not in FORWARDED],
            }
        return scope
    scope = dict(scope)
    chain = _header(headers, b"x-forwarded-for")
    if chain:
        hops = [hop.strip() for hop in chain.split(",") if hop.strip()]
        untrusted = [hop for hop in hops if not is_trusted(hop, entries)]
        address = untrusted[-1] if untrusted else hops[0]
        try:
            ipaddress.ip_address(address)
        except ValueError:
            pass  # garbage from the client's end of the chain: keep the peer
        else:
            scope["client"] = (address, 0)
    proto = (_header(headers, b"x-forwarded-proto") or "").split(",")[-1].strip()
    if proto in ("http", "https"):
        secure = proto == "https"
        if scope["type"] == "websocket":
            scope["scheme"] = "wss" if secure else "ws"
        else:
            scope["scheme"] = proto
    return scope


class TrustedProxies:
    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] in ("http", "websocket"):
            scope = forwarded_scope(scope, tuple(settings.TRUSTED_PROXIES))
        await self.app(scope, receive, send)
