"""Child server processes on free loopback ports, shared by the tests
(tests/servers.py) and the benchmark (bench/servers.py): one way to start
our server, wait for it, kill it and restart it."""

from __future__ import annotations

import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from devserver.localredis import free_port, stop_process

BASE_DIR = Path(__file__).resolve().parent.parent

# Our server, as `make run` serves it: uvicorn with devserver.serve's options.
UVICORN = (
    "import uvicorn; from devserver.serve import uvicorn_options; "
    "uvicorn.run('project.asgi:application', access_log=False, "
    "log_level={log_level!r}, **uvicorn_options('127.0.0.1', {port}))"
)


def raise_nofile() -> None:
    """Raise the open-files limit to the hard limit (thousands of sockets)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY:
        hard = 1 << 20
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


class ChildProcess:
    """A server child process on a free port, logging to `log_dir`.

    Subclasses say how to run it (`command`, `env`) and when it is up
    (`ready`)."""

    name = "server"

    def __init__(self, *, log_dir: Path) -> None:
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        self.log_path = log_dir / f"{self.name}-{self.port}.log"
        self._log = None

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        raise NotImplementedError

    def env(self) -> dict[str, str]:
        raise NotImplementedError

    def ready(self) -> bool:
        raise NotImplementedError

    def start(self, timeout: float = 60.0) -> ChildProcess:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        # A restart appends, so the log tells the whole story of the port.
        self._log = open(self.log_path, "ab" if self.process else "wb")  # noqa: SIM115
        self.process = subprocess.Popen(
            self.command(),
            cwd=BASE_DIR,
            env=self.env(),
            stdout=self._log,
            stderr=subprocess.STDOUT,
            preexec_fn=raise_nofile,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"{self.name} exited: {self.log_path.read_text()[-2000:]}"
                )
            try:
                if self.ready():
                    return self
            except (httpx.HTTPError, OSError):
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"{self.name} did not start: see {self.log_path}")

    def restart(self, timeout: float = 60.0) -> ChildProcess:
        """Start again on the same port (after `stop()` or `kill()`), as a
        deployment restarts a process: clients reconnect to the same URL."""
        self.stop()
        return self.start(timeout)

    def terminate(self) -> None:
        """SIGTERM, as a deployment's restart sends it: the server closes its
        sockets with 1012 and exits by itself (see `wait`)."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)

    def wait(self, timeout: float = 30.0) -> int | None:
        """The exit status once the process has exited, or None after
        `timeout` seconds."""
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def kill(self) -> None:
        """Die as a crashed process would: no disconnect handlers run."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()

    def stop(self) -> None:
        stop_process(self.process)
        if self._log is not None:
            self._log.close()
            self._log = None


class ChatProcess(ChildProcess):
    """Our server (project.asgi under uvicorn), ready once /healthz is 200."""

    name = "chat"
    log_level = "info"

    def command(self) -> list[str]:
        return [
            sys.executable,
            "-c",
            UVICORN.format(port=self.port, log_level=self.log_level),
        ]

    def ready(self) -> bool:
        return httpx.get(f"{self.http_url}/healthz", timeout=2).status_code == 200
