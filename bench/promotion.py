#!/usr/bin/env python3
"""What promotion's guarantees cost, by fleet size: `saltline promote` against a bare
`salt --batch-size B state.apply` of the same release on the same fleet.

A local fleet (staging: two masters, every minion connected to both, Salt's
multi-master) grows to each size in turn (5, 10 and 20 minions by default, all of the
web role, whose one state writes a page from the pillar). At each size:

- a commit changes the page's pillar message, so one state changes on every minion,
  and `saltline promote staging --batch-size B` ships it (lease, upload and verify on
  both masters, the dry run through the candidate masters, the switch, the batched
  rollout with its per-batch checks, the rolled-out record); its master commands are
  counted (SALTLINE_TRACE_COMMANDS);
- the page is then changed by hand on every minion, and the bare
  `salt --batch-size B -L … state.apply` on master1 puts the same release back, as an
  operator would without saltline.

Prints, per size: wall and busy CPU seconds of each (every process, the containers'
included), the number of master commands saltline ran and the ratio. The fleet is
removed at the end.

    .venv/bin/python bench/promotion.py [--minions 5,10,20] [--batch-size 5] [--rounds 1]

Each size's first promotion (its new minions' first apply) is not measured.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.e2e.conftest import saltline  # noqa: E402
from tests.e2e.fleet_estate import commit, estate_with_fleet  # noqa: E402

MASTERS = ["saltline-bench-master1", "saltline-bench-master2"]
PAGE = "/var/www/saltline/index.html"


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


@dataclass
class Round:
    promote: Measured
    commands: int
    bare: Measured


def master(*command: str) -> str:
    done = subprocess.run(["docker", "exec", MASTERS[0], *command], capture_output=True,
                          text=True, check=True)  # fmt: skip
    return done.stdout


def grow(repo: Path, size: int) -> list[str]:
    """The fleet at `size` minions (web1 … webN): saltline.yml, then `fleet up`."""
    path = repo / "saltline.yml"
    settings = yaml.safe_load(path.read_text())
    settings["minions"] = {f"web{n}": {"roles": ["web"]} for n in range(1, size + 1)}
    path.write_text(yaml.safe_dump(settings, sort_keys=False))
    commit(repo, f"a fleet of {size}")
    up = saltline("fleet", "up", estate=repo, reports=repo / "reports")
    if up.exit_code != 0:
        raise SystemExit(up.output)
    return sorted(settings["minions"])


def promote(repo: Path, label: str, batch_size: int, trace: Path | None = None) -> Measured:
    shop = repo / "pillar" / "environments" / "staging" / "shop.sls"
    lines = [
        f"    message: bench {label}" if line.startswith("    message: ") else line
        for line in shop.read_text().splitlines()
    ]
    shop.write_text("\n".join(lines) + "\n")
    commit(repo, f"bench {label}")
    if trace is not None:
        os.environ["SALTLINE_TRACE_COMMANDS"] = str(trace)
    try:
        with Measured() as measured:
            run = saltline("promote", "staging", "--batch-size", str(batch_size), "--force",
                           "--reason", "benchmark", estate=repo,
                           reports=repo / "reports")  # fmt: skip
    finally:
        os.environ.pop("SALTLINE_TRACE_COMMANDS", None)
    if run.exit_code != 0:
        raise SystemExit(run.output)
    return measured


def bare_apply(minions: list[str], batch_size: int) -> Measured:
    """The page changed by hand everywhere, then Salt's own batched apply puts it back."""
    master("salt", "-L", ",".join(minions), "cmd.run", f"echo drifted > {PAGE}")
    with Measured() as measured:
        returns = master("salt", "--out=json", "--static", "--batch-size", str(batch_size),
                         "-L", ",".join(minions), "state.apply")  # fmt: skip
    changed = returns.count('"diff"')
    if changed < len(minions):
        raise SystemExit(f"the bare apply changed the page on {changed} of {len(minions)}")
    return measured


def command_kind(words: list[str]) -> str:
    """`salt … -L targets FUNCTION …`: the function; anything else: its program (or the
    remote script's function)."""
    if words[0] == "salt" and "-L" in words:
        return words[words.index("-L") + 2]
    return words[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minions", default="5,10,20", help="fleet sizes, comma-separated")
    parser.add_argument("--batch-size", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=1, help="measured rounds per size")
    args = parser.parse_args()
    sizes = sorted(int(size) for size in args.minions.split(","))
    results: dict[int, list[Round]] = {}
    with (
        tempfile.TemporaryDirectory() as tmp,
        estate_with_fleet(
            Path(tmp) / "estate", {"staging": MASTERS}, page_only=True, minions=sizes[0]
        ) as repo,  # fmt: skip
    ):
        trace = Path(tmp) / "commands.jsonl"
        for size in sizes:
            minions = grow(repo, size)
            promote(repo, f"{size} first", args.batch_size)  # new minions' first apply
            results[size] = []
            for number in range(1, args.rounds + 1):
                trace.unlink(missing_ok=True)
                measured = promote(repo, f"{size} round {number}", args.batch_size, trace)
                commands = len(trace.read_text().splitlines())
                bare = bare_apply(minions, args.batch_size)
                results[size].append(Round(measured, commands, bare))
            kinds: dict[str, int] = {}
            for line in trace.read_text().splitlines():
                kind = command_kind(json.loads(line)["command"].split())
                kinds[kind] = kinds.get(kind, 0) + 1
            print(f"{size} minions, commands by kind: {json.dumps(kinds, sort_keys=True)}",
                  flush=True)  # fmt: skip
    print(f"\nbatch size {args.batch_size}, two masters, medians of {args.rounds} round(s)")
    print("minions | promote wall | promote CPU | commands | bare wall | bare CPU | wall ratio")
    for size, rounds in results.items():
        pw = statistics.median(r.promote.wall for r in rounds)
        pc = statistics.median(r.promote.cpu for r in rounds)
        bw = statistics.median(r.bare.wall for r in rounds)
        bc = statistics.median(r.bare.cpu for r in rounds)
        commands = statistics.median(r.commands for r in rounds)
        print(f"{size:7} | {pw:11.1f}s | {pc:10.1f}s | {commands:8.0f} | {bw:8.1f}s | "
              f"{bc:7.1f}s | {pw / bw:10.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
