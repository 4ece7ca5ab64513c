#!/usr/bin/env python3
"""How fast the render stage finds a broken change, against finding it by converging.

Runs, in one go with images cached: `saltline render` over the whole estate (every
minion in every environment), then `saltline test --only converge` (the same minions
converged once in each tested environment). Prints both and their ratio. The render
stage's target is under 30 s for the whole estate.

    .venv/bin/python bench/render_speed.py [--rounds 3]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def saltline(*args: str, reports: Path) -> float:
    started = time.monotonic()
    subprocess.run(
        [sys.executable, "-m", "saltline.cli", *args, "--reports", str(reports)],
        cwd=REPO, check=True, capture_output=True,
    )  # fmt: skip
    return time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    subprocess.run([sys.executable, "-m", "saltline.cli", "images", "build", "--default-cell"],
                   cwd=REPO, check=True, capture_output=True)  # fmt: skip
    render, converge = [], []
    with tempfile.TemporaryDirectory() as tmp:
        reports = Path(tmp)
        for round_ in range(1, args.rounds + 1):
            render.append(saltline("render", "--default-cell", reports=reports))
            converge.append(
                saltline("test", "--default-cell", "--only", "converge", reports=reports)
            )
            print(f"round {round_}: render {render[-1]:5.1f}s   converge {converge[-1]:5.1f}s")
    r, c = statistics.median(render), statistics.median(converge)
    print(f"median: render (every minion × environment) {r:.1f}s, converge {c:.1f}s")
    print(f"ratio render / converge: {r / c:.2f}   (render target: < 30 s; {r:.1f} s)")


if __name__ == "__main__":
    main()
