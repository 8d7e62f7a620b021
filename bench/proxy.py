"""A small TCP proxy for scenario 12 where HAProxy is not installed:

    python -m bench.proxy --port P --backend 127.0.0.1:8001 --backend ...

Each connection goes to the backend with the fewest open connections; a
backend that refuses (restarting) is skipped for the next one, as HAProxy's
`option redispatch` does. Nothing else: no health checks, no HTTP.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib


class Proxy:
    def __init__(self, backends: list[tuple[str, int]]) -> None:
        self.backends = backends
        self.open = dict.fromkeys(backends, 0)

    async def handle(self, reader, writer) -> None:
        for backend in sorted(self.backends, key=self.open.get):
            try:
                up_reader, up_writer = await asyncio.open_connection(*backend)
            except OSError:
                continue
            self.open[backend] += 1
            try:
                await asyncio.gather(
                    self.pipe(reader, up_writer), self.pipe(up_reader, writer)
                )
            finally:
                self.open[backend] -= 1
            return
        writer.close()

    @staticmethod
    async def pipe(reader, writer) -> None:
        with contextlib.suppress(OSError):
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        with contextlib.suppress(OSError):
            writer.close()


async def main(port: int, backends: list[tuple[str, int]]) -> None:
    proxy = Proxy(backends)
    server = await asyncio.start_server(proxy.handle, "127.0.0.1", port, backlog=4096)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--backend", action="append", required=True)
    args = parser.parse_args()
    hosts = [(b.rsplit(":", 1)[0], int(b.rsplit(":", 1)[1])) for b in args.backend]
    try:
        import uvloop
    except ImportError:
        asyncio.run(main(args.port, hosts))
    else:
        uvloop.run(main(args.port, hosts))
