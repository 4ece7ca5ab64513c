#!/usr/bin/env python3
"""What promotion's guarantees cost: `saltline promote` against a bare `salt state.apply`.

On a local fleet (staging: two masters sharing web1), each round commits a pillar
change, promotes it (lease, upload and verify on both masters, the dry run through the
candidate masters, the switch, the batched rollout, the rolled-out record), then
applies the same release again with a bare `salt web1 state.apply` on the master, as
an operator would by hand. Prints both medians and their ratio, measured in one run.

    .venv/bin/python bench/promotion.py [--rounds 2]
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
sys.path.insert(0, str(REPO))

from tests.e2e.conftest import saltline  # noqa: E402
from tests.e2e.fleet_estate import commit, estate_with_fleet  # noqa: E402

MASTERS = ["saltline-bench-master1", "saltline-bench-master2"]


def promote(repo: Path, round_number: int) -> float:
    shop = repo / "pillar" / "environments" / "staging" / "shop.sls"
    lines = [
        f"    message: bench round {round_number}" if line.startswith("    message: ") else line
        for line in shop.read_text().splitlines()
    ]
    shop.write_text("\n".join(lines) + "\n")
    commit(repo, f"bench round {round_number}")
    started = time.monotonic()
    run = saltline("promote", "staging", "--force", "--reason", "benchmark", estate=repo,
                   reports=repo / "reports")  # fmt: skip
    elapsed = time.monotonic() - started
    if run.exit_code != 0:
        raise SystemExit(run.output)
    return elapsed


def bare_apply() -> float:
    started = time.monotonic()
    subprocess.run(
        ["docker", "exec", MASTERS[0], "salt", "--out=json", "--static", "web1", "state.apply"],
        check=True, capture_output=True,
    )  # fmt: skip
    return time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory() as tmp,
        estate_with_fleet(Path(tmp), {"staging": MASTERS}) as repo,
    ):
        promote(repo, 0)  # the first rollout installs the packages; not measured
        promoted, bare = [], []
        for number in range(1, args.rounds + 1):
            promoted.append(promote(repo, number))
            bare.append(bare_apply())
    p, b = statistics.median(promoted), statistics.median(bare)
    print(f"saltline promote (2 masters, 1 minion): median {p:.1f}s  {promoted}")
    print(f"bare salt state.apply on the master:    median {b:.1f}s  {bare}")
    print(f"ratio promote / bare apply: {p / b:.2f}")


if __name__ == "__main__":
    main()
