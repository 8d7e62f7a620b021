"""A TCP relay in front of a server whose network can be cut without a
close, as when Wi-Fi drops or a phone leaves coverage: `cut()` stops
carrying bytes both ways on the open connections (no FIN, no RST: to each
end the other simply goes silent), and new ones are accepted and never
answered, as a connection into a dead network goes unanswered (a WebSocket
handshake started then hangs: only the client's own timeout ends it);
`restore()` lets new connections through again.

Chromium's own offline mode (Playwright's set_offline) is no such cut: its
network stack keeps answering the server's WebSocket pings, so to the
server the page is still there. This relay is what a vanished client looks
like from the server's side."""

from __future__ import annotations

import asyncio
import contextlib

from devserver.localredis import free_port


class NetCut:
    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = free_port()
        self.cut_off = False
        self.server: asyncio.base_events.Server | None = None
        self.tasks: set[asyncio.Task] = set()
        self.writers: set[asyncio.StreamWriter] = set()
        # Connections that came while cut: held open, never answered.
        self.held: set[asyncio.StreamWriter] = set()

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> NetCut:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)
        return self

    def cut(self) -> None:
        self.cut_off = True

    def restore(self) -> None:
        self.cut_off = False

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
        for writer in [*self.writers, *self.held]:
            writer.close()
        for task in list(self.tasks):
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)

    async def _serve(self, reader, writer) -> None:
        if self.cut_off:
            self.held.add(writer)
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(
                "127.0.0.1", self.target_port
            )
        except OSError:
            writer.close()
            return
        self.writers |= {writer, up_writer}
        for source, sink in ((reader, up_writer), (up_reader, writer)):
            task = asyncio.ensure_future(self._pipe(source, sink))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)

    async def _pipe(self, source, sink) -> None:
        with contextlib.suppress(OSError, asyncio.CancelledError):
            while data := await source.read(65536):
                if self.cut_off:
                    continue  # dropped: the other end hears nothing
                sink.write(data)
                await sink.drain()
        if not self.cut_off:
            sink.close()
