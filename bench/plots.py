"""matplotlib PNGs under bench/plots/ for RESULTS.md: saturation, connect
storm, filling room and rolling restart, ours beside the ceiling."""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).resolve().parent / "plots"
COLORS = {"ours": "tab:blue", "ceiling": "tab:gray"}


def _entries(results: dict) -> dict[str, dict]:
    return {e["key"]: e for e in results["scenarios"] if e.get("runs")}


def _saturation(entry: dict, ax) -> None:
    for r in entry["runs"]:
        steps = [s for s in r["steps"] if s["p50_ms"] is not None]
        x = [s["offered_msgs_per_s"] * entry["params"]["per_room"] for s in steps]
        for key, style in (("p50_ms", "-"), ("p99_ms", "--")):
            ax.plot(
                x,
                [s[key] for s in steps],
                style,
                color=COLORS[r["server"]],
                label=f"{r['server']} {key[:3]}" if r["round"] == 1 else None,
            )
    ax.set_xlabel("deliveries/s offered")
    ax.set_ylabel("latency ms")
    ax.set_yscale("log")


def _timelines(entry: dict, ax, label: str = "sockets connected") -> None:
    for r in entry["runs"]:
        points = r.get("timeline") or []
        ax.plot(
            [p[0] for p in points],
            [p[1] for p in points],
            color=COLORS[r["server"]],
            label=f"{r['server']} round {r['round']}",
        )
    ax.set_xlabel("seconds")
    ax.set_ylabel(label)


def _restart(entry: dict, ax) -> None:
    _timelines(entry, ax, "clients connected")
    for r in entry["runs"]:
        for n, x in enumerate(r["restarts"], 1):
            ax.axvline(x["at_s"], color="tab:red", linestyle=":")
            ax.annotate(f"SIGTERM {n}", (x["at_s"], 0), rotation=90, fontsize=8)


PLOTS = [
    ("4", "saturation.png", "Saturation: latency by deliveries/s", _saturation),
    ("9b", "connect-storm.png", "Connect storm: 5,000 sockets", _timelines),
    ("10", "filling-room.png", "Filling room: 1,000 sockets, one room", _timelines),
    ("12", "rolling-restart.png", "Rolling restart: clients connected", _restart),
]


def write(results: dict) -> list[Path]:
    """Draw every plot whose scenario ran; the files written."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return []  # requirements-dev.txt has it; a bare install may not
    entries = _entries(results)
    HERE.mkdir(exist_ok=True)
    written = []
    for key, name, title, draw in PLOTS:
        if key not in entries:
            continue
        fig, ax = plt.subplots(figsize=(7, 4))
        draw(entries[key], ax)
        ax.set_title(title)
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8)
        fig.tight_layout()
        fig.savefig(HERE / name, dpi=90)
        plt.close(fig)
        written.append(HERE / name)
    return written


def listed(results: dict) -> list[tuple[str, str]]:
    """(title, path relative to bench/) of the plots of this run."""
    entries = _entries(results)
    return [
        (title, f"plots/{name}")
        for key, name, title, _ in PLOTS
        if key in entries and (HERE / name).exists()
    ]
