#!/usr/bin/env python3
"""What `--changed` saves on a one-file change: a full run against a change-based one.

In one go with images cached: the reference estate is copied into a scratch git
repository; `saltline test` runs on it in full; then a one-line change to nginx's page
template (used by web1 only) is committed and `saltline test --changed HEAD~1` runs.
Prints both times, the targets each converged, and their ratio (the floor here is
about 0.5: render plus two of four targets, on two cores).

    .venv/bin/python bench/changed.py [--rounds 2]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from fast_feedback import copy_estate

REPO = Path(__file__).resolve().parents[1]
ESTATE = ("salt", "pillar", "tests/infra", "tests/secrets", "tests/golden", "saltline.yml",
          ".yamllint", ".salt-lint")  # fmt: skip
TEMPLATE = Path("salt/nginx/files/index.html.jinja")


def git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-C", str(repo), "-c", "user.name=bench", "-c", "user.email=b@example.test",
         *args],
        check=True, capture_output=True,
    )  # fmt: skip


def scratch(directory: Path) -> Path:
    repo = directory / "estate"
    copy_estate(repo, ESTATE)
    (repo / ".gitignore").write_text("reports/\n__pycache__/\n")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "estate")
    return repo


def timed(repo: Path, *args: str) -> tuple[float, list[str]]:
    started = time.monotonic()
    subprocess.run(
        [sys.executable, "-m", "saltline.cli", "test", "--default-cell", *args,
         "--reports", "reports"],
        cwd=repo, check=True, capture_output=True,
    )  # fmt: skip
    elapsed = time.monotonic() - started
    results = json.loads((repo / "reports" / "results.json").read_text())
    return elapsed, [f"{t['environment']}/{t['minion']}" for t in results["targets"]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    subprocess.run([sys.executable, "-m", "saltline.cli", "images", "build", "--default-cell"],
                   cwd=REPO, check=True, capture_output=True)  # fmt: skip
    full, changed = [], []
    with tempfile.TemporaryDirectory() as tmp:
        repo = scratch(Path(tmp))
        for round_ in range(1, args.rounds + 1):
            seconds, all_targets = timed(repo)
            full.append(seconds)
            page = repo / TEMPLATE
            page.write_text(page.read_text() + f"<!-- change {round_} -->\n")
            git(repo, "commit", "-qam", f"change {round_}")
            seconds, some = timed(repo, "--changed", "HEAD~1")
            changed.append(seconds)
            print(f"round {round_}: full {full[-1]:5.1f}s ({len(all_targets)} targets)   "
                  f"--changed {changed[-1]:5.1f}s ({', '.join(some)})")  # fmt: skip
    f, c = statistics.median(full), statistics.median(changed)
    print(f"median: full run {f:.1f}s, --changed run {c:.1f}s")
    print(f"ratio --changed / full: {c / f:.2f}   (floor about 0.5: 2 of 4 targets)")


if __name__ == "__main__":
    main()
