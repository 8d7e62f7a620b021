"""The ceiling: the smallest pure `websockets` broadcast server that speaks the
frames the benchmark uses, in one process, with no auth, database or Redis.

    python -m bench.ceiling --port P

Whatever our server does per delivery on top of this is the price of Django,
Channels, Redis and the database; RESULTS.md reports ours/ceiling.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
from datetime import UTC, datetime

from websockets.asyncio.server import ServerConnection, broadcast, serve

from devserver.serve import WS_MAX_SIZE

USER = {"id": 0, "username": "bench", "display_name": "bench"}


class Rooms:
    def __init__(self) -> None:
        self.members: dict[str, set[ServerConnection]] = {}
        self.seqs: dict[str, int] = {}
        self.ids = itertools.count(1)

    async def handle(self, ws: ServerConnection) -> None:
        parts = ws.request.path.split("?", 1)[0].strip("/").split("/")
        if len(parts) != 3 or parts[:2] != ["ws", "chat"]:
            await ws.close(4404)
            return
        slug = parts[2]
        members = self.members.setdefault(slug, set())
        members.add(ws)
        try:
            await ws.send(
                json.dumps({"type": "presence.state", "room": slug, "users": [USER]})
            )
            await ws.send(
                json.dumps(
                    {"type": "history", "room": slug, "messages": [], "has_more": False}
                )
            )
            async for text in ws:
                frame = json.loads(text)
                if frame.get("type") != "message.send":
                    continue
                seq = self.seqs[slug] = self.seqs.get(slug, 0) + 1
                out = json.dumps(
                    {
                        "type": "message",
                        "id": next(self.ids),
                        "seq": seq,
                        "room": slug,
                        "user": USER,
                        "body": frame["body"].strip(),
                        "created_at": datetime.now(UTC).isoformat(),
                        "client_id": frame.get("client_id"),
                        "deleted": False,
                    }
                )
                broadcast(members, out)
        finally:
            members.discard(ws)


async def main(port: int) -> None:
    rooms = Rooms()
    async with serve(
        rooms.handle,
        "127.0.0.1",
        port,
        max_size=WS_MAX_SIZE,
        ping_interval=None,
        compression=None,
    ) as server:
        await server.serve_forever()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    try:
        import uvloop
    except ImportError:
        asyncio.run(main(args.port))
    else:
        uvloop.run(main(args.port))
