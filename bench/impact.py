#!/usr/bin/env python3
"""What the impact costs `--changed`, and what it saves, in one run.

With images cached, on the reference estate (default cell) and on the generated
12-minion estate of bench/fast_feedback.py: each estate is tested in full once (its
renders stored, as the default branch's run leaves them), then for each change below
committed in turn, `saltline test --changed HEAD~1` runs with the impact and with
`--no-impact` (file attribution alone), in alternating order. Prints per change the
seconds of both, their ratio, and the targets each selected; then the median ratio.
Last, on the reference estate, the converge with and without `--check-prediction`
(test=True first): their ratio decides whether the check can be on by default (≤ 1.15).

    .venv/bin/python bench/impact.py [--rounds 2] [--skip-generated] [--skip-prediction]
        [--only TEXT]   (only the changes whose name contains TEXT)
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from fast_feedback import copy_estate, generated_estate

REPO = Path(__file__).resolve().parents[1]
REFERENCE = ("salt", "pillar", "tests/infra", "tests/secrets", "saltline.yml", ".yamllint",
             ".salt-lint")  # fmt: skip


def git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-C", str(repo), "-c", "user.name=bench", "-c", "user.email=b@example.test",
         *args],
        check=True, capture_output=True,
    )  # fmt: skip


def saltline(repo: Path, *args: str) -> tuple[float, dict]:
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "saltline.cli", *args, "--reports", "reports"],
        cwd=repo, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        sys.exit(f"saltline {' '.join(args)} failed:\n{done.stdout[-3000:]}{done.stderr[-2000:]}")
    elapsed = time.monotonic() - started
    return elapsed, json.loads((repo / "reports" / "results.json").read_text())


def reference_estate(repo: Path) -> None:
    copy_estate(repo, REFERENCE)
    (repo / ".gitignore").write_text("reports/\n.saltline/\n__pycache__/\n")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "estate")


def edit(path: str, old: str, new: str) -> Callable[[Path, int], None]:
    def change(repo: Path, round_: int) -> None:
        file = repo / path
        text = file.read_text()
        file.write_text(text.replace(old, new.format(round=round_), 1) if old else
                        text + new.format(round=round_))  # fmt: skip

    return change


REFERENCE_CHANGES = {
    "a page template line (web1)": edit(
        "salt/nginx/files/index.html.jinja", "", "<!-- change {round} -->\n"
    ),
    "a comment in the top file": edit("salt/top.sls", "", "# change {round}\n"),
    "a postgres default (db1)": edit(
        "salt/postgres/parameters/defaults.yaml", "port: ", "port: 54{round}0  # was "
    ),
}


def set_mode(path: str) -> Callable[[Path, int], None]:
    """The SLS's last state gets another mode each round."""

    def change(repo: Path, round_: int) -> None:
        file = repo / path
        kept = [line for line in file.read_text().splitlines() if "- mode:" not in line]
        file.write_text("\n".join(kept) + f"\n    - mode: '06{round_}0'\n")

    return change


GENERATED_CHANGES = {
    "one role's SLS (one minion)": set_mode("salt/role03/init.sls"),
    "a comment in the top file": edit("salt/top.sls", "", "# change {round}\n"),
}


def compare(
    repo: Path, changes: dict[str, Callable[[Path, int], None]], rounds: int
) -> list[float]:
    saltline(repo, "test", "--default-cell")  # renders stored, as main's run leaves them
    ratios = []
    for round_ in range(1, rounds + 1):
        for name, change in changes.items():
            change(repo, round_)
            git(repo, "commit", "-qam", f"{name} {round_}")
            runs = {}
            order = ("impact", "files") if round_ % 2 else ("files", "impact")
            for kind in order:
                flags = ["--no-impact"] if kind == "files" else []
                runs[kind] = saltline(repo, "test", "--default-cell", "--changed", "HEAD~1",
                                      *flags)  # fmt: skip
            ratio = runs["impact"][0] / runs["files"][0]
            ratios.append(ratio)
            picked = {kind: sorted(results["selected"]) for kind, (_, results) in runs.items()}
            print(f"  round {round_}, {name}: with impact {runs['impact'][0]:.1f}s, "
                  f"files only {runs['files'][0]:.1f}s, ratio {ratio:.2f}; selected "
                  f"{len(picked['impact'])} by rendered impact against {len(picked['files'])} "
                  "by file attribution")  # fmt: skip
    print(f"  median ratio (with impact ÷ files only): {statistics.median(ratios):.2f}")
    return ratios


def prediction_cost(repo: Path, rounds: int) -> None:
    seconds: dict[str, list[float]] = {"plain": [], "checked": []}
    for round_ in range(rounds):
        for kind in ("plain", "checked") if round_ % 2 == 0 else ("checked", "plain"):
            flags = ["--check-prediction"] if kind == "checked" else []
            _, results = saltline(repo, "test", "--default-cell", "--only", "converge", *flags)
            seconds[kind].append(sum(stage["duration"] for target in results["targets"]
                                     for stage in target["stages"]))  # fmt: skip
    plain, checked = (statistics.median(seconds[k]) for k in ("plain", "checked"))
    print(
        f"  converge {plain:.1f}s, with the prediction check {checked:.1f}s "
        f"(sums over targets): ratio {checked / plain:.2f} (on by default if ≤ 1.15)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--skip-generated", action="store_true")
    parser.add_argument("--skip-prediction", action="store_true")
    parser.add_argument("--only", default="", help="only the changes whose name has this")
    args = parser.parse_args()
    wanted = {name: change for name, change in REFERENCE_CHANGES.items() if args.only in name}
    generated = {name: change for name, change in GENERATED_CHANGES.items() if args.only in name}
    with tempfile.TemporaryDirectory() as tmp:
        reference = Path(tmp) / "reference"
        reference_estate(reference)
        print("reference estate (web1, db1; dev and staging tested, prod rendered):")
        compare(reference, wanted, args.rounds)
        if not args.skip_prediction:
            print("reference estate, the prediction check:")
            prediction_cost(reference, args.rounds)
        if not args.skip_generated:
            repo = Path(tmp) / "generated"
            generated_estate(repo)
            print("generated estate (12 minions, a role each):")
            compare(repo, generated, args.rounds)


if __name__ == "__main__":
    main()
