"""Our server under cProfile, for the profile run of `python -m bench`:

    python -m bench.profiled --port P --out stats.prof

Profiling starts on SIGUSR1 and stops and writes the stats on SIGUSR2, so the
stats cover the steady load only (not start-up or the connect phase). Only the
event loop's thread is profiled: in scenario 2 every delivery runs there.

(py-spy was tried first: on this machine it attributes almost every sample of
the uvloop-driven server to `Runner.run`, seeing no Python frames below it.)
"""

from __future__ import annotations

import argparse
import cProfile
import signal

import uvicorn

from devserver.serve import uvicorn_options


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    profiler = cProfile.Profile()

    def start(signum, frame) -> None:
        profiler.enable()

    def stop(signum, frame) -> None:
        profiler.disable()
        profiler.dump_stats(args.out)

    signal.signal(signal.SIGUSR1, start)
    signal.signal(signal.SIGUSR2, stop)
    uvicorn.run(
        "project.asgi:application",
        access_log=False,
        log_level="warning",
        **uvicorn_options("127.0.0.1", args.port),
    )


if __name__ == "__main__":
    main()
