#!/usr/bin/env python3
"""What promotion's guarantees cost: `saltline promote` against a bare `salt state.apply`.

On a local fleet (staging: two masters sharing web1), each round commits a pillar
change, promotes it (lease, upload and verify on both masters, the dry run through the
candidate masters, the switch, the batched rollout, the rolled-out record), then
applies the same release again with a bare `salt web1 state.apply` on the master, as
an operator would by hand. Prints both medians and their ratio, measured in one run,
and the CPU time the machine spent on each (every process, the containers' included).

    .venv/bin/python bench/promotion.py [--rounds 2]
"""

from __future__ import annotations

import argparse
import os
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


def busy_cpu_seconds() -> float:
    """CPU time the whole machine has spent busy since boot (/proc/stat, all CPUs)."""
    fields = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle, iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


class Measured:
    """Wall and busy CPU seconds of the block."""

    def __enter__(self) -> Measured:
        self.wall, self.cpu = time.monotonic(), busy_cpu_seconds()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall, self.cpu = time.monotonic() - self.wall, busy_cpu_seconds() - self.cpu


def promote(repo: Path, round_number: int) -> Measured:
    shop = repo / "pillar" / "environments" / "staging" / "shop.sls"
    lines = [
        f"    message: bench round {round_number}" if line.startswith("    message: ") else line
        for line in shop.read_text().splitlines()
    ]
    shop.write_text("\n".join(lines) + "\n")
    commit(repo, f"bench round {round_number}")
    with Measured() as measured:
        run = saltline("promote", "staging", "--force", "--reason", "benchmark", estate=repo,
                       reports=repo / "reports")  # fmt: skip
    if run.exit_code != 0:
        raise SystemExit(run.output)
    return measured


def bare_apply() -> Measured:
    with Measured() as measured:
        subprocess.run(
            ["docker", "exec", MASTERS[0], "salt", "--out=json", "--static", "web1", "state.apply"],
            check=True, capture_output=True,
        )  # fmt: skip
    return measured


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
    p, b = (statistics.median(m.wall for m in promoted), statistics.median(m.wall for m in bare))
    pc, bc = (statistics.median(m.cpu for m in promoted), statistics.median(m.cpu for m in bare))
    walls = ", ".join(f"{m.wall:.1f}" for m in promoted)
    print(f"saltline promote (2 masters, 1 minion): median {p:.1f}s ({walls}), CPU {pc:.1f}s")
    print(f"bare salt state.apply on the master:    median {b:.1f}s, CPU {bc:.1f}s")
    print(f"ratio promote / bare apply: {p / b:.2f} wall, {pc / bc:.2f} CPU")


if __name__ == "__main__":
    main()
