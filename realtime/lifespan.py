"""What a server process finishes before it exits (the ASGI lifespan).

On SIGTERM uvicorn stops accepting, closes every socket with 1012
(PROTOCOL.md 1.1, Server restarts), waits up to
`timeout_graceful_shutdown` seconds for the sockets' tasks, and then sends
`lifespan.shutdown`: the hooks registered here run then, in the order
registered (chat.ingest stores what it accepted and has not written yet).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

logger = logging.getLogger(__name__)

Hook = Callable[[], Awaitable[object]]
_shutdown_hooks: list[Hook] = []


def on_shutdown(hook: Hook) -> None:
    """Run `hook()` when the server stops (once per hook, however often
    registered)."""
    if hook not in _shutdown_hooks:
        _shutdown_hooks.append(hook)


async def shut_down() -> None:
    for hook in list(_shutdown_hooks):
        try:
            await hook()
        except Exception:
            logger.exception("A shutdown hook failed: %r", hook)


async def lifespan_app(scope, receive, send) -> None:
    """The ASGI application of the `lifespan` scope."""
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await shut_down()
            await send({"type": "lifespan.shutdown.complete"})
            return
