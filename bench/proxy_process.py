"""The one port in front of scenario 12's two server processes: HAProxy with
deploy/haproxy/haproxy.cfg (devserver.haproxy) when it is installed, else
bench/proxy.py."""

from __future__ import annotations

import socket
import subprocess
import sys
import time

from bench.servers import BASE_DIR, var_dir
from devserver.localredis import free_port, stop_process


class _SmallProxy:
    what = "bench/proxy.py (HAProxy is not installed)"

    def __init__(self, ports: list[int]) -> None:
        self.port = free_port()
        command = [sys.executable, "-m", "bench.proxy", "--port", str(self.port)]
        for port in ports:
            command += ["--backend", f"127.0.0.1:{port}"]
        self.process = subprocess.Popen(command, cwd=BASE_DIR)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("bench/proxy.py did not listen")

    def stop(self) -> None:
        stop_process(self.process)


class _HAProxy:
    what = "HAProxy (Debian's package) with deploy/haproxy/haproxy.cfg"

    def __init__(self, ports: list[int]) -> None:
        from devserver.haproxy import HAProxy

        self.port = free_port()
        self.haproxy = HAProxy(var_dir() / "haproxy", self.port, ports).start()
        # Ready once its health checks have marked the servers up.
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if set(self.haproxy.states().values()) == {"UP"}:
                return
            time.sleep(0.2)

    def stop(self) -> None:
        self.haproxy.stop()


def start_proxy(ports: list[int]):
    """A proxy on a free port in front of `ports`; .ws_url, .what, .stop()."""
    try:
        from devserver.haproxy import find_haproxy

        find_haproxy()
        proxy = _HAProxy(ports)
    except (ImportError, RuntimeError):
        proxy = _SmallProxy(ports)
    proxy.ws_url = f"ws://127.0.0.1:{proxy.port}"
    return proxy
