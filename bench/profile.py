"""py-spy under load: sample a running server and rank the costs per delivery."""

from __future__ import annotations

import asyncio
import re
import sys
from collections import Counter
from pathlib import Path

RATE = 200  # samples per second
FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>[^:()]+)(?::\d+)?\)$")


async def profile_server(pid: int, out: Path, seconds: float) -> None:
    """Record `seconds` of the process's stacks (py-spy raw/collapsed format)."""
    py_spy = str(Path(sys.executable).parent / "py-spy")
    await asyncio.sleep(1.0)  # past connect, into the steady state
    process = await asyncio.create_subprocess_exec(
        py_spy, "record", "--pid", str(pid), "--duration", str(int(seconds)),
        "--rate", str(RATE), "--format", "raw", "--nonblocking",
        "--output", str(out),
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    _, stderr = await process.communicate()
    if process.returncode:
        raise RuntimeError(f"py-spy failed: {stderr.decode()[-500:]}")


def _short(frame: str) -> str:
    match = FRAME.match(frame.strip())
    if not match:
        return frame.strip()
    path = match["file"]
    for marker in ("site-packages/", "/work/main/", "lib/python3"):
        if marker in path:
            path = path.split(marker, 1)[1]
    return f"{match['func']} ({path})"


def summarize_profile(path: Path, run: dict, top: int = 25) -> dict:
    """Self and inclusive shares of the samples, per function, and what each
    costs per delivery given the server's CPU per delivery in the same run."""
    own: Counter = Counter()
    inclusive: Counter = Counter()
    modules: Counter = Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        frames = [_short(f) for f in stack.split(";")]
        # py-spy puts the thread name first when it has one; skip non-frames.
        frames = [f for f in frames if "(" in f]
        if not frames:
            continue
        total += n
        own[frames[-1]] += n
        for name in set(frames):
            inclusive[name] += n
        modules[_module(frames[-1])] += n
    per_delivery = run.get("server_cpu_us_per_delivery") or 0
    server_cpu = run.get("processes", {}).get("server", {}).get("cpu_s", 0)
    redis_cpu = run.get("processes", {}).get("redis", {}).get("cpu_s", 0)
    server_share = server_cpu / (server_cpu + redis_cpu) if server_cpu else 1
    us = per_delivery * server_share  # the server process's part only

    def rows(counter: Counter) -> list[dict]:
        return [
            {
                "function": name,
                "share": round(n / total, 4),
                "us_per_delivery": round(us * n / total, 2),
            }
            for name, n in counter.most_common(top)
        ]

    return {
        "samples": total,
        "rate_hz": RATE,
        "server_us_per_delivery": round(us, 1),
        "self": rows(own),
        "inclusive": rows(inclusive),
        "by_module": rows(modules),
        "raw": str(path),
    }


def _module(frame: str) -> str:
    match = re.search(r"\(([^)]*)\)$", frame)
    path = match[1] if match else frame
    parts = path.replace(".py", "").split("/")
    return "/".join(parts[:2]) if len(parts) > 1 else parts[0]
