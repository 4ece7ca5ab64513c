"""The few git facts saltline needs (the gate, releases, a commit's roots to test), through the
git command line."""

from __future__ import annotations

from pathlib import Path

from saltline import process
from saltline.errors import GitError

NOTES_REF = "refs/notes/saltline"


def _run(root: Path, *args: str) -> process.Completed[str]:
    """git in `root`, whatever its exit code."""
    return process.run(["git", "-C", str(root), *args])


def _git(root: Path, *args: str, check: bool = True) -> str:
    """git's output in `root`; a failure is a GitError unless `check` is off."""
    done = _run(root, *args)
    if check and done.returncode != 0:
        raise GitError(f"git {' '.join(args)} failed in {root}: {done.stderr.strip()}")
    return done.stdout


def is_repository(root: Path) -> bool:
    return _run(root, "rev-parse", "--git-dir").returncode == 0


def resolve(root: Path, rev: str) -> str:
    """The full SHA of a commit; a REV that does not resolve is an error (exit 2)."""
    done = _run(root, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}")
    if done.returncode != 0:
        raise GitError(f"{rev!r} does not name a commit in {root}; try a SHA, a branch or HEAD")
    return done.stdout.strip()


def tree_of(root: Path, sha: str) -> str:
    return _git(root, "rev-parse", f"{sha}^{{tree}}").strip()


def subtree(root: Path, sha: str, path: str) -> str:
    """The git tree hash of `path` (relative to `root`) in commit `sha`; "" when absent."""
    done = _run(root, "rev-parse", "--verify", "--quiet", f"{sha}:./{path}")
    return done.stdout.strip() if done.returncode == 0 else ""


def show(root: Path, sha: str, path: str) -> str:
    """A file's text (relative to `root`) as it is in commit `sha`."""
    return _git(root, "show", f"{sha}:./{path}")


def _excluding(but: tuple[str, ...]) -> list[str]:
    return [f":(exclude){path}" for path in but]


def untracked_and_ignored(root: Path, paths: list[str], but: tuple[str, ...] = ()) -> list[str]:
    """Files under `paths` (not under `but`) that git does not track: untracked, or
    ignored by .gitignore."""
    output = _git(
        root, "status", "--porcelain", "--ignored", "--untracked-files=all", "--",
        *paths, *_excluding(but),
    )  # fmt: skip
    return [line[3:] for line in output.splitlines() if line[:2] in ("??", "!!")]


def dirty_paths(root: Path, but: tuple[str, ...] = ()) -> list[str]:
    """Changed, staged or untracked paths (ignored files, and paths under `but`, excepted)."""
    output = _git(root, "status", "--porcelain", "--", ".", *_excluding(but))
    return [line[3:] for line in output.splitlines() if line.strip()]


def archive(root: Path, sha: str, paths: list[str]) -> bytes:
    """A tar of `paths` as they are in commit `sha`."""
    done = process.run_bytes(["git", "-C", str(root), "archive", "--format=tar", sha, "--", *paths])
    if done.returncode != 0:
        raise GitError(f"git archive {sha} failed: {done.stderr.decode(errors='replace').strip()}")
    return done.stdout


def read_notes(root: Path, sha: str) -> str:
    return _git(root, "notes", f"--ref={NOTES_REF}", "show", sha, check=False)


def append_note(root: Path, sha: str, line: str) -> None:
    _git(root, "notes", f"--ref={NOTES_REF}", "append", "-m", line, sha)
