#!/usr/bin/env python3
"""Fast feedback on a merge request: where `--changed` and the caches pay, in one run.

With images cached, prints:

1. A generated estate of 12 minions, each with its own small role (a package, a
   templated file, a testinfra suite): `saltline test` in full, then a one-SLS change
   committed and `saltline test --changed HEAD~1`. Target: ratio ≤ 0.25.
2. The reference estate with every cache cold (package cache and stored renders
   cleared), then warm (the same run again): `saltline test` each. Target: ≤ 0.5.

    .venv/bin/python bench/fast_feedback.py [--skip-generated] [--skip-warm]

Part 2 clears the engine's package cache: do not run it beside other test runs.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# Small Debian packages, one per role, none a dependency of another role's.
PACKAGES = ("tree", "hello", "jq", "bc", "zip", "unzip", "rsync", "file", "less", "nano",
            "ed", "pv")  # fmt: skip
REFERENCE = ("salt", "pillar", "tests/infra", "tests/secrets", "tests/golden", "saltline.yml",
             ".yamllint", ".salt-lint")  # fmt: skip


def git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-C", str(repo), "-c", "user.name=bench", "-c", "user.email=b@example.test",
         *args],
        check=True, capture_output=True,
    )  # fmt: skip


def saltline(repo: Path, *args: str) -> float:
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "saltline.cli", *args],
        cwd=repo, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        sys.exit(f"saltline {' '.join(args)} failed:\n{done.stdout[-3000:]}{done.stderr[-2000:]}")
    return time.monotonic() - started


def generated_estate(repo: Path) -> None:
    """12 minions, role<i> each: its package, a file from a template, a test module."""
    minions = "\n".join(f"  m{i:02d}: {{roles: [role{i:02d}]}}" for i in range(len(PACKAGES)))
    files = {
        "saltline.yml": (
            'salt_version: "3007.13"\n'
            "platforms: {debian12: {suite: bookworm, image: 'debian:bookworm'}}\n"
            f"environments: {{dev: {{test: true}}}}\nminions:\n{minions}\n"
        ),
        "salt/top.sls": "base:\n"
        + "".join(
            f"  'roles:role{i:02d}':\n    - match: grain\n    - role{i:02d}\n"
            for i in range(len(PACKAGES))
        ),
        "pillar/top.sls": "base: {}\n",
        ".gitignore": "reports/\n.saltline/\n__pycache__/\n",
    }
    for i, package in enumerate(PACKAGES):
        role = f"role{i:02d}"
        files[f"salt/{role}/init.sls"] = (
            f"{role}-package:\n  pkg.installed:\n    - name: {package}\n"
            f"{role}-config:\n  file.managed:\n    - name: /etc/{role}.conf\n"
            f"    - source: salt://{role}/files/{role}.conf.jinja\n    - template: jinja\n"
        )
        files[f"salt/{role}/files/{role}.conf.jinja"] = f"# {role} on {{{{ grains['id'] }}}}\n"
        files[f"tests/infra/test_{role}.py"] = (
            f"def test_package(host):\n    assert host.package('{package}').is_installed\n\n\n"
            f"def test_config(host):\n    assert host.file('/etc/{role}.conf').contains('{role}')\n"
        )
    for name, text in files.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(text)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "estate")


def copy_estate(repo: Path, parts: tuple[str, ...]) -> None:
    """These parts of this repository's reference estate, copied into `repo`."""
    for part in parts:
        source, target = REPO / part, repo / part
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, target)


def changed_on_generated(tmp: Path) -> None:
    repo = tmp / "generated"
    generated_estate(repo)
    full = saltline(repo, "test", "--reports", "reports")
    sls = repo / "salt/role05/init.sls"
    sls.write_text(sls.read_text() + "    - mode: '0640'\n")
    git(repo, "commit", "-qam", "one SLS changed")
    changed = saltline(repo, "test", "--changed", "HEAD~1", "--reports", "reports")
    print(f"generated estate, {len(PACKAGES)} minions, one SLS changed:")
    print(f"  full run {full:6.1f}s   --changed run {changed:6.1f}s")
    print(f"  ratio --changed / full: {changed / full:.2f}   (target ≤ 0.25)")


def warm_against_cold(tmp: Path) -> None:
    repo = tmp / "reference"
    copy_estate(repo, REFERENCE)
    saltline(repo, "cache", "clear", "packages", "renders")
    cold = saltline(repo, "test", "--default-cell", "--reports", "reports")
    warm = saltline(repo, "test", "--default-cell", "--reports", "reports")
    print("reference estate, saltline test:")
    print(f"  cold caches {cold:6.1f}s   warm caches {warm:6.1f}s")
    print(f"  ratio warm / cold: {warm / cold:.2f}   (target ≤ 0.5)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-generated", action="store_true")
    parser.add_argument("--skip-warm", action="store_true")
    args = parser.parse_args()
    saltline(REPO, "images", "build", "--default-cell")
    with tempfile.TemporaryDirectory() as tmp:
        if not args.skip_generated:
            changed_on_generated(Path(tmp))
        if not args.skip_warm:
            warm_against_cold(Path(tmp))


if __name__ == "__main__":
    main()
