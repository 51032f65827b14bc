"""Figures the suite reports at the end (routes x roles checked, forged tokens tried, …).

A test calls ``record("forged tokens tried", 1)``; counts from every xdist worker are summed
and printed in the terminal summary under "figures". A figure is only ever the count of
something the test actually did, never a constant.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path

ENV = "ATHENAEUM_FIGURES_DIR"


def record(name: str, count: int = 1) -> None:
    """Add ``count`` to the figure ``name`` (no-op when run outside pytest's session)."""
    folder = os.environ.get(ENV)
    if not folder:
        return
    line = json.dumps({"name": name, "count": count})
    with (Path(folder) / f"figures-{os.getpid()}.jsonl").open("a", encoding="utf-8") as out:
        out.write(line + "\n")


def collect(folder: Path) -> Counter[str]:
    totals: Counter[str] = Counter()
    for file in folder.glob("figures-*.jsonl"):
        for line in file.read_text(encoding="utf-8").splitlines():
            entry = json.loads(line)
            totals[entry["name"]] += int(entry["count"])
    return totals
