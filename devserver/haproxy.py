"""HAProxy in front of the cluster's chat servers, from deploy/haproxy/: the
file as it is, its addresses given in the environment, and its admin socket
for draining a server before a restart."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import time
from pathlib import Path

from devserver.localredis import _die_with_parent, stop_process

BASE_DIR = Path(__file__).resolve().parent.parent
CONFIG = BASE_DIR / "deploy" / "haproxy" / "haproxy.cfg"
BACKEND = "chat_servers"

MISSING = (
    "HAProxy is missing: run scripts/ensure-cluster-packages as root, or "
    "'apt-get install -y haproxy'."
)


def find_haproxy() -> str:
    found = shutil.which("haproxy") or (
        "/usr/sbin/haproxy" if os.path.exists("/usr/sbin/haproxy") else None
    )
    if not found:
        raise RuntimeError(MISSING)
    return found


def server_lines(text: str, count: int) -> str:
    """deploy/'s config with `count` server lines (app1 … appN) instead of
    its three: the same line each time, with its number changed."""
    pattern = re.compile(r"^(\s*server app)1( .*CHAT_APP)1(.*)$", re.MULTILINE)
    first = pattern.search(text)
    if first is None:
        raise ValueError(f"{CONFIG} has no 'server app1 ... CHAT_APP1' line")
    lines = "\n".join(
        f"{first.group(1)}{n}{first.group(2)}{n}{first.group(3)}"
        for n in range(1, count + 1)
    )
    text = re.sub(r"^\s*server app\d+ .*\n?", "", text, flags=re.MULTILINE)
    return text.rstrip("\n") + "\n" + lines + "\n"


class HAProxy:
    """One haproxy process on 127.0.0.1:`port` in front of `servers` (their
    http ports), its files under `directory`."""

    def __init__(self, directory: Path, port: int, servers: list[int]) -> None:
        self.directory = Path(directory)
        self.port = port
        self.servers = servers
        self.config = self.directory / "haproxy.cfg"
        self.socket = self.directory / "admin.sock"
        self.log = self.directory / "haproxy.log"
        self.process: subprocess.Popen | None = None

    def env(self) -> dict[str, str]:
        env = {
            **os.environ,
            "CHAT_BIND": f"127.0.0.1:{self.port}",
            "CHAT_HAPROXY_SOCKET": str(self.socket),
            "CHAT_HOST": "localhost",
        }
        for n, port in enumerate(self.servers, 1):
            env[f"CHAT_APP{n}"] = f"127.0.0.1:{port}"
        return env

    def start(self, timeout: float = 10.0) -> HAProxy:
        self.directory.mkdir(parents=True, exist_ok=True)
        self.config.write_text(server_lines(CONFIG.read_text(), len(self.servers)))
        haproxy = find_haproxy()
        check = subprocess.run(
            [haproxy, "-c", "-q", "-f", str(self.config)],
            env=self.env(), capture_output=True, text=True, timeout=30,
        )  # fmt: skip
        if check.returncode != 0:
            raise RuntimeError(f"HAProxy refuses {self.config}: {check.stderr}")
        self._log = open(self.log, "ab")  # noqa: SIM115
        self.process = subprocess.Popen(
            [haproxy, "-db", "-f", str(self.config)],
            env=self.env(),
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent,
        )
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"haproxy exited at start; see {self.log}")
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.2).close()
                if self.socket.exists():
                    return self
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"haproxy did not listen on {self.port}")
            time.sleep(0.05)

    def command(self, line: str) -> str:
        """One command on the admin socket (what `socat` would send)."""
        with socket.socket(socket.AF_UNIX) as sock:
            sock.settimeout(5)
            sock.connect(str(self.socket))
            sock.sendall(line.encode() + b"\n")
            chunks = []
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        return b"".join(chunks).decode()

    def set_state(self, n: int, state: str) -> None:
        """`ready`, `drain` (no new connections, open ones stay) or `maint`."""
        answer = self.command(f"set server {BACKEND}/app{n} state {state}")
        if answer.strip():
            raise RuntimeError(f"haproxy: {answer.strip()}")

    def states(self) -> dict[str, str]:
        """Each server's status as HAProxy sees it: UP, DOWN, DRAIN, MAINT…"""
        rows = self.command("show stat").splitlines()
        header = rows[0].lstrip("# ").split(",")
        found = {}
        for row in rows[1:]:
            values = dict(zip(header, row.split(","), strict=False))
            if values.get("pxname") == BACKEND and values.get("svname", "").startswith(
                "app"
            ):
                found[values["svname"]] = values["status"]
        return found

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> None:
        stop_process(self.process, timeout=5)
        if getattr(self, "_log", None):
            self._log.close()
