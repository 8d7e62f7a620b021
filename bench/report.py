"""bench/RESULTS.md and bench/results/*.json from a run's results."""

from __future__ import annotations

import json
from pathlib import Path

HERE = Path(__file__).resolve().parent


def markdown(results: dict) -> str:
    return "```json\n" + json.dumps(results, indent=1)[:20000] + "\n```\n"


def write(results: dict) -> Path:
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    (out / "latest.json").write_text(json.dumps(results, indent=1))
    path = HERE / "RESULTS.md"
    path.write_text(markdown(results))
    return path
