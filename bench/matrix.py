#!/usr/bin/env python3
"""The platform × Salt-version matrix, measured on the reference estate's web role.

In one run, for every cell of saltline.yml's matrix that web1 is tested on:

- the minion image's build time cold (its wheelhouse removed, built without Docker's
  layer cache; the base image, the debootstrapped OS, kept) and cached (nothing to do);
- `saltline test web1 --environment dev` in that cell alone: its wall time, and its
  converge stage;
- then the whole matrix for web1 in dev in one run (the cells side by side, one job
  per core): its wall time against the sum of the cells' runs, the parallel
  efficiency on this machine's cores.

    .venv/bin/python bench/matrix.py [--keep-images]

It rebuilds the cells' images and wheelhouses: do not run it beside tests.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from saltline import config
from saltline.cache import cache_dir
from saltline.engine import wheelhouse

REPO = Path(__file__).resolve().parents[1]


def saltline(*args: str) -> tuple[float, dict]:
    """Run saltline from the repository; its wall time and results.json (if any)."""
    with tempfile.TemporaryDirectory() as reports:
        started = time.monotonic()
        done = subprocess.run(
            [sys.executable, "-m", "saltline.cli", *args, "--reports", reports],
            cwd=REPO, capture_output=True, text=True, check=False,
        )  # fmt: skip
        elapsed = time.monotonic() - started
        if done.returncode != 0:
            sys.exit(f"saltline {' '.join(args)} failed:\n{done.stdout[-3000:]}{done.stderr}")
        results = Path(reports) / "results.json"
        return elapsed, json.loads(results.read_text()) if results.is_file() else {}


def build(platform: str, salt: str, *flags: str) -> float:
    started = time.monotonic()
    subprocess.run(
        [sys.executable, "-m", "saltline.cli", "images", "build", "--platform", platform,
         "--salt", salt, *flags],
        cwd=REPO, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return time.monotonic() - started


def converge_time(results: dict) -> float:
    (target,) = results["targets"]
    return next(s["duration"] for s in target["stages"] if s["stage"] == "converge")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep-images", action="store_true", help="skip the cold builds")
    args = parser.parse_args()
    cfg = config.load(REPO / "saltline.yml")
    cells = [(p.name, v) for p, v in cfg.cells_of(cfg.minions["web1"])]
    rows = []
    for platform, salt in cells:
        cold = None
        if not args.keep_images:
            python = wheelhouse.python_for(cfg.platforms[platform].suite)
            shutil.rmtree(cache_dir() / "wheelhouse" / f"salt-{salt}-py{python}", True)
            cold = build(platform, salt, "--no-cache")
        cached = build(platform, salt)
        wall, results = saltline(
            "test", "web1", "--environment", "dev", "--platform", platform, "--salt", salt
        )
        rows.append((platform, salt, cold, cached, wall, converge_time(results)))
    print(f"{'cell':26} {'image cold':>10} {'cached':>7} {'run':>7} {'converge':>9}")
    for platform, salt, cold, cached, wall, converge in rows:
        shown = "-" if cold is None else f"{cold:.0f}s"
        print(f"{platform + ' × Salt ' + salt:26} {shown:>10} {cached:6.1f}s {wall:6.1f}s "
              f"{converge:8.1f}s")  # fmt: skip
    whole, _ = saltline("test", "web1", "--environment", "dev")
    total = sum(row[4] for row in rows)
    cores = os.cpu_count() or 1
    print(f"whole matrix for web1 in one run: {whole:.1f}s; the cells one by one: {total:.1f}s")
    print(f"speed-up {total / whole:.2f} on {cores} cores; parallel efficiency "
          f"{total / whole / cores:.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
