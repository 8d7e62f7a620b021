"""`make run`: serve HTTP and WebSockets with uvicorn, with a private Redis
when neither REDIS_URL nor REDIS_SENTINELS is set.

    python -m devserver.serve [--workers N]

HOST and PORT say where to listen (PROTOCOL.md, Configuration).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import uvicorn

BASE_DIR = Path(__file__).resolve().parent.parent

# PROTOCOL.md: a frame over 64 KiB is closed with 1009.
WS_MAX_SIZE = 64 * 1024
# PROTOCOL.md 1.1: on SIGTERM every socket is closed with 1012 at once;
# this is how long the sockets' tasks may then take (storing what they
# accepted, giving up presence) before they are cancelled. What the
# process accepted is stored even then (realtime.lifespan, chat.ingest).
GRACEFUL_SHUTDOWN_S = 5


def ws_ping_options() -> dict:
    """Server WebSocket pings (settings WS_PING_INTERVAL, WS_PING_TIMEOUT):
    the presence heartbeat refreshes every local socket whether or not its
    client still answers, so only a ping notices a client whose network
    vanished; 0 turns them off."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
    from django.conf import settings

    interval = settings.WS_PING_INTERVAL
    return {
        "ws_ping_interval": interval or None,
        "ws_ping_timeout": (settings.WS_PING_TIMEOUT or None) if interval else None,
    }


def uvicorn_options(host: str, port: int) -> dict:
    """The uvicorn options every server of this project runs with."""
    return {
        "host": host,
        "port": port,
        "ws_max_size": WS_MAX_SIZE,
        # permessage-deflate stays on (uvicorn's default) though it takes a
        # socket off the encode-once path: without it uvicorn closes the
        # transport on a frame over ws_max_size while the browser is still
        # sending it, and the browser sees 1006, not PROTOCOL's 1009.
        **ws_ping_options(),
        # SIGTERM: stop accepting, 1012 to every socket, then the
        # application's shutdown hooks (realtime.lifespan).
        "lifespan": "on",
        "timeout_graceful_shutdown": GRACEFUL_SHUTDOWN_S,
        # X-Forwarded-* are the application's to trust (TRUSTED_PROXIES):
        # uvicorn's own default trusts 127.0.0.1 (README, Security).
        "proxy_headers": False,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
    host = os.environ.get("HOST", "127.0.0.1")
    port = int(os.environ.get("PORT", "8000"))

    redis = None
    if not os.environ.get("REDIS_URL") and not os.environ.get("REDIS_SENTINELS"):
        from devserver.localredis import LocalRedis

        redis = LocalRedis(BASE_DIR / "var" / "redis").start()
        os.environ["REDIS_URL"] = redis.url
        print(f"Started a private Redis at {redis.url} (set REDIS_URL to use yours)")
    try:
        print(f"Serving http://{host}:{port}/")
        uvicorn.run(
            "project.asgi:application",
            workers=args.workers,
            **uvicorn_options(host, port),
        )
    finally:
        if redis is not None:
            redis.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
