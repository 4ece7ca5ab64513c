"""What a change touches: the files that differ from its base, for `saltline test --changed`.

The base is the one given, else the merge request's base in CI (GitLab's
`CI_MERGE_REQUEST_DIFF_BASE_SHA`, GitHub's `GITHUB_BASE_REF`), else the merge base of
HEAD with the default branch. Changed files are those that differ between that merge
base and the working tree, plus untracked ones, relative to the configuration's root.
"""

from __future__ import annotations

import os
from pathlib import Path

from saltline import process
from saltline.errors import SaltlineError

DEFAULT_BRANCHES = ("origin/HEAD", "origin/main", "origin/master", "main", "master")


def _git(root: Path, *args: str) -> process.Completed[str]:
    return process.run(["git", "-C", str(root), *args])


def base_of(root: Path, given: str | None, command: str = "--changed") -> str:
    """The commit to compare with: the merge base of HEAD and the base, as a SHA
    (`command` names what asked, in errors)."""
    base = given or _ci_base() or _default_branch(root, command)
    if _git(root, "rev-parse", "--verify", "--quiet", f"{base}^{{commit}}").returncode != 0:
        shallow = _git(root, "rev-parse", "--is-shallow-repository").stdout.strip() == "true"
        hint = (
            "this is a shallow clone: fetch more history (git fetch --unshallow, or CI's "
            "GIT_DEPTH: 0 / fetch-depth: 0)"
            if shallow
            else f"fetch it (git fetch origin {base.removeprefix('origin/')})"
        )
        raise SaltlineError(f"{command}: base {base!r} does not name a commit here; {hint}")
    merge_base = _git(root, "merge-base", "HEAD", base)
    if merge_base.returncode != 0:
        raise SaltlineError(
            f"{command}: HEAD and {base!r} share no history here; fetch the base's history "
            "(git fetch --unshallow)"
        )
    return merge_base.stdout.strip()


def _ci_base() -> str | None:
    if os.environ.get("CI_MERGE_REQUEST_DIFF_BASE_SHA"):
        return os.environ["CI_MERGE_REQUEST_DIFF_BASE_SHA"]
    if os.environ.get("GITHUB_BASE_REF"):
        return f"origin/{os.environ['GITHUB_BASE_REF']}"
    return None


def _default_branch(root: Path, command: str) -> str:
    for name in DEFAULT_BRANCHES:
        if _git(root, "rev-parse", "--verify", "--quiet", f"{name}^{{commit}}").returncode == 0:
            return name
    raise SaltlineError(
        f"{command}: no default branch to compare with (origin/HEAD, main, master); "
        f"name the base: saltline {'diff' if command == 'diff' else 'test --changed'} BASE"
    )


def changed_files(root: Path, base: str) -> list[str]:
    """Paths (relative to `root`) that differ from `base` in the working tree, or are new."""
    diff = _git(root, "diff", "--name-only", "--relative", base)
    if diff.returncode != 0:
        raise SaltlineError(f"--changed: git diff {base[:12]} failed: {diff.stderr.strip()}")
    untracked = _git(root, "ls-files", "--others", "--exclude-standard")
    return sorted({*diff.stdout.split("\n"), *untracked.stdout.split("\n")} - {""})
