"""CPU seconds and RSS of the processes under test (psutil), and latency
percentiles."""

from __future__ import annotations

import asyncio
import os
import platform

import psutil


class Meter:
    """CPU seconds spent and RSS (end and peak) of named processes over a span."""

    def __init__(self, pids: dict[str, int]) -> None:
        self.procs = {name: psutil.Process(pid) for name, pid in pids.items()}
        self.start_cpu: dict[str, float] = {}
        self.peak: dict[str, int] = {}
        self._task: asyncio.Task | None = None

    def _cpu(self, proc: psutil.Process) -> float:
        times = proc.cpu_times()
        return times.user + times.system

    def rss(self) -> dict[str, int]:
        return {name: proc.memory_info().rss for name, proc in self.procs.items()}

    @staticmethod
    def _busy() -> float:
        times = psutil.cpu_times()
        return sum(times) - times.idle - getattr(times, "iowait", 0.0)

    def start(self) -> Meter:
        self.start_busy = self._busy()
        self.start_cpu = {name: self._cpu(p) for name, p in self.procs.items()}
        self.peak = self.rss()
        self._task = asyncio.ensure_future(self._sample())
        return self

    async def _sample(self) -> None:
        while True:
            await asyncio.sleep(0.5)
            for name, rss in self.rss().items():
                self.peak[name] = max(self.peak[name], rss)

    def stop(self) -> dict:
        if self._task is not None:
            self._task.cancel()
        rss = self.rss()
        ours = sum(self._cpu(p) - self.start_cpu[n] for n, p in self.procs.items())
        # CPU that other programs on the machine used meanwhile: a noisy
        # neighbour explains a slow run.
        self.others_cpu_s = round(max(0.0, self._busy() - self.start_busy - ours), 2)
        return {
            name: {
                "cpu_s": round(self._cpu(proc) - self.start_cpu[name], 3),
                "rss_mb": round(rss[name] / 2**20, 1),
                "rss_peak_mb": round(max(self.peak[name], rss[name]) / 2**20, 1),
            }
            for name, proc in self.procs.items()
        }


def thread_cpu(pid: int | None) -> dict[int, float]:
    """CPU seconds of each thread of `pid` so far ({} without a pid)."""
    if pid is None:
        return {}
    return {t.id: t.user_time + t.system_time for t in psutil.Process(pid).threads()}


def thread_split(before: dict, after: dict, units: int, scale: float) -> list[float]:
    """The three busiest threads' CPU between two `thread_cpu` readings,
    busiest first, per unit (a connect, a message) times `scale` (1e3: ms,
    1e6: µs). In our server: the event loop's, then the database thread's."""
    spent = [after[t] - before.get(t, 0.0) for t in after]
    per = [s / max(1, units) * scale for s in sorted(spent, reverse=True)]
    return [round(value, 3) for value in per[:3]]


def percentiles(values: list[float]) -> dict:
    """p50/p90/p99/max in milliseconds (nearest rank)."""
    if not values:
        return {"p50_ms": None, "p90_ms": None, "p99_ms": None, "max_ms": None}
    ordered = sorted(values)
    n = len(ordered)

    def at(q: float) -> float:
        return round(ordered[min(n - 1, int(q * n))] * 1000, 2)

    return {
        "p50_ms": at(0.50),
        "p90_ms": at(0.90),
        "p99_ms": at(0.99),
        "max_ms": round(ordered[-1] * 1000, 2),
    }


def machine() -> dict:
    model = ""
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {
        "cores": os.cpu_count(),
        "cpu_model": model or platform.processor(),
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }
