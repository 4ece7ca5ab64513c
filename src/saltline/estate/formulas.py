"""Formulas the estate depends on: fetched into a cache, pinned in `saltline.lock`.

`saltline.yml` says what is wanted (a git URL at a ref, or a local git checkout);
`saltline.lock` (committed) says which commit of each was tested and therefore ships.
Each source is mirrored once under the cache (`cache.cache_dir()`) and each locked
commit is exported there once, read-only for containers; with the cache warm and the lock present,
nothing touches the network.

    lock = formulas.locked(config)          # the lock file, checked against saltline.yml
    paths = formulas.checkouts(config, lock)  # name → exported directory of its commit
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml

from saltline import archives, process
from saltline.cache import cache_dir
from saltline.config import Config, FormulaSpec
from saltline.errors import CommandTimeout, ConfigError

GIT_TIMEOUT = 300  # seconds for one git command on a formula: a stalled fetch fails

LOCK_HEADER = (
    "# Written by `saltline formulas update`: the commit of each formula that was tested\n"
    "# and ships with a release. Commit this file; do not edit it.\n"
)


@dataclass(frozen=True)
class Pin:
    """A formula's source and ref as `saltline.yml` said them when pinned, and the commit."""

    source: str
    ref: str | None
    commit: str

    def wanted_by(self, spec: FormulaSpec) -> bool:
        return (self.source, self.ref) == (spec.source, spec.ref)


def read_lock(config: Config, text: str | None = None) -> dict[str, Pin]:
    """The pins of the lock file (or of `text`, the lock file as it is in a commit)."""
    path = config.lock_path
    if text is None:
        if not path.is_file():
            return {}
        text = path.read_text(encoding="utf-8")
    try:
        data = yaml.safe_load(text) or {}
        return {
            str(name): Pin(str(pin["source"]), pin.get("ref"), str(pin["commit"]))
            for name, pin in (data.get("formulas") or {}).items()
        }
    except (yaml.YAMLError, AttributeError, KeyError, TypeError) as exc:
        raise ConfigError(
            f"{path}: not a saltline lock file ({exc}); run `saltline formulas update` "
            "to write it again"
        ) from None


def write_lock(config: Config, pins: dict[str, Pin]) -> None:
    document = {
        "formulas": {
            name: {"source": pin.source, "ref": pin.ref, "commit": pin.commit}
            for name, pin in sorted(pins.items())
        }
    }
    text = LOCK_HEADER + yaml.safe_dump(document, sort_keys=False)
    temporary = config.lock_path.with_suffix(".lock.tmp")
    temporary.write_text(text, encoding="utf-8")
    temporary.replace(config.lock_path)


def disagreements(config: Config, pins: dict[str, Pin]) -> list[str]:
    """How the lock file and `saltline.yml` differ, one line per formula."""
    problems = []
    for name, spec in config.formulas.items():
        if name not in pins:
            problems.append(f"{name}: in saltline.yml but not in {config.lock_path.name}")
        elif not pins[name].wanted_by(spec):
            pin = pins[name]
            problems.append(
                f"{name}: saltline.yml wants {spec.source} at {spec.ref or 'HEAD'}, "
                f"{config.lock_path.name} pins {pin.source} at {pin.ref or 'HEAD'}"
            )
    problems += [
        f"{name}: in {config.lock_path.name} but no longer in saltline.yml"
        for name in pins
        if name not in config.formulas
    ]
    return problems


def locked(config: Config, log: Callable[[str], None] | None = None) -> dict[str, Pin]:
    """The lock, which must agree with `saltline.yml`; written when there is none yet."""
    if not config.formulas:
        return {}
    pins = read_lock(config)
    if not config.lock_path.is_file():
        pins = update(config)
        if log is not None:
            log(f"pinned {len(pins)} formula(s) in {config.lock_path.name}; commit it")
        return pins
    problems = disagreements(config, pins)
    if problems:
        raise ConfigError(
            f"{config.lock_path}: does not match saltline.yml:\n  "
            + "\n  ".join(problems)
            + "\nrun `saltline formulas update` (or `saltline formulas update NAME`) to pin "
            "what saltline.yml says, then commit both files"
        )
    return pins


def update(config: Config, names: list[str] | None = None) -> dict[str, Pin]:
    """Fetch and pin the named formulas (default: all) to what their refs name now; the
    others keep their pins. Formulas no longer in `saltline.yml` leave the lock."""
    for name in names or []:
        if name not in config.formulas:
            raise ConfigError(
                f"{config.path}: no formula named {name!r}; "
                f"declared: {', '.join(sorted(config.formulas)) or 'none'}"
            )
    pins = {k: v for k, v in read_lock(config).items() if k in config.formulas}
    for name, spec in config.formulas.items():
        if names and name not in names and name in pins and pins[name].wanted_by(spec):
            continue
        mirror = _fetch(config, spec)
        pins[name] = Pin(spec.source, spec.ref, _resolve(mirror, spec))
    write_lock(config, pins)
    return pins


def checkouts(config: Config, pins: dict[str, Pin]) -> dict[str, Path]:
    """Each pinned commit exported under the cache (fetched only when missing)."""
    paths = {}
    for name, pin in pins.items():
        spec = config.formulas.get(name) or FormulaSpec(name, pin.source, pin.ref, False)
        paths[name] = export(config, spec, pin.commit)
    return paths


def export(config: Config, spec: FormulaSpec, commit: str) -> Path:
    """The files of `commit` of a formula, exported once into the cache, and checked
    against the commit at every use: an edited export is refused, never tested or
    shipped in place of the pinned commit."""
    target = cache_dir() / "formulas" / "commits" / commit
    mirror = _mirror_path(config, spec)
    if not _has_commit(mirror, commit):
        mirror = _fetch(config, spec)
        if not _has_commit(mirror, commit):
            raise ConfigError(
                f"formula {spec.name}: commit {commit[:12]} (pinned in {config.lock_path.name}) "
                f"is not in {spec.source}; run `saltline formulas update {spec.name}`"
            )
    archive = process.run_bytes(
        ["git", "--git-dir", str(mirror), "archive", "--format=tar", commit],
        timeout=GIT_TIMEOUT,
    )
    if archive.returncode != 0:
        raise ConfigError(f"formula {spec.name}: git archive {commit[:12]} failed")
    if target.is_dir():
        changed = _differences(_tar_listing(archive.stdout), _directory_listing(target))
        if changed:
            raise ConfigError(
                f"formula {spec.name}: the cache's copy of commit {commit[:12]} ({target}) was "
                f"edited ({', '.join(changed[:5])}); remove that directory (or `saltline "
                "cache clear`) and run again"
            )
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{commit[:12]}-", dir=target.parent))
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        archives.extract_all(tar, staging)
    try:
        staging.rename(target)
    except OSError:  # another run exported it first
        shutil.rmtree(staging, ignore_errors=True)
    return target


def _tar_listing(tar: bytes) -> dict[str, str]:
    """Each regular file's digest (and each symlink's target) by path, of a tar."""
    listing = {}
    with tarfile.open(fileobj=io.BytesIO(tar)) as archive:
        for member in archive.getmembers():
            if member.issym():
                listing[member.name] = f"-> {member.linkname}"
            elif (handle := archive.extractfile(member)) is not None:
                listing[member.name] = hashlib.sha256(handle.read()).hexdigest()
    return listing


def _directory_listing(directory: Path) -> dict[str, str]:
    listing = {}
    for path in directory.rglob("*"):
        name = str(path.relative_to(directory))
        if path.is_symlink():
            listing[name] = f"-> {os.readlink(path)}"
        elif path.is_file():
            listing[name] = hashlib.sha256(path.read_bytes()).hexdigest()
    return listing


def _differences(expected: dict[str, str], found: dict[str, str]) -> list[str]:
    changed = [f"changed: {p}" for p in expected if p in found and found[p] != expected[p]]
    missing = [f"missing: {p}" for p in expected if p not in found]
    added = [f"added: {p}" for p in found if p not in expected]
    return sorted(changed) + sorted(missing) + sorted(added)


def source_location(config: Config, spec: FormulaSpec) -> str:
    """What git fetches from: the URL, or the local path made absolute."""
    return str((config.root / spec.source).resolve()) if spec.local else spec.source


def _mirror_path(config: Config, spec: FormulaSpec) -> Path:
    digest = hashlib.sha256(source_location(config, spec).encode()).hexdigest()[:16]
    return cache_dir() / "formulas" / "mirrors" / f"{spec.name}-{digest}.git"


def _fetch(config: Config, spec: FormulaSpec) -> Path:
    """A bare mirror of the formula's repository, created or brought up to date."""
    source = source_location(config, spec)
    if spec.local:
        _refuse_dirty(spec, Path(source))
    mirror = _mirror_path(config, spec)
    try:
        done = _update_mirror(mirror, source, spec.name)
    except CommandTimeout:
        raise ConfigError(
            f"formula {spec.name}: fetching {source} did not finish within {GIT_TIMEOUT}s (a "
            "stalled server?); nothing was changed; try again, or pin a reachable source"
        ) from None
    if done.returncode != 0:
        raise ConfigError(
            f"formula {spec.name}: cannot fetch {source}: {done.stderr.strip()[-400:]}"
        )
    return mirror


def _update_mirror(mirror: Path, source: str, name: str) -> subprocess.CompletedProcess[str]:
    """`git fetch` into the mirror, or a clone renamed into place when whole."""
    if mirror.is_dir():
        return process.run(["git", "--git-dir", str(mirror), "fetch", "--quiet", "--prune"],
                           timeout=GIT_TIMEOUT)  # fmt: skip
    mirror.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=mirror.parent))
    try:
        done = process.run(["git", "clone", "--quiet", "--mirror", source, str(staging)],
                           timeout=GIT_TIMEOUT)  # fmt: skip
        if done.returncode == 0:
            with contextlib.suppress(OSError):  # another run mirrored it first
                staging.rename(mirror)
    finally:
        shutil.rmtree(staging, ignore_errors=True)  # gone if renamed
    return done


def _refuse_dirty(spec: FormulaSpec, path: Path) -> None:
    done = process.run(["git", "-C", str(path), "status", "--porcelain"])
    if done.returncode != 0:
        raise ConfigError(f"formula {spec.name}: {path} is not a git checkout ({spec.source})")
    if done.stdout.strip():
        changed = ", ".join(line[3:] for line in done.stdout.splitlines()[:5])
        raise ConfigError(
            f"formula {spec.name}: {path} has uncommitted changes ({changed}); saltline tests "
            "and ships commits, so commit them (or stash them) and run "
            f"`saltline formulas update {spec.name}`"
        )


def _resolve(mirror: Path, spec: FormulaSpec) -> str:
    ref = spec.ref or "HEAD"
    done = process.run(
        ["git", "--git-dir", str(mirror), "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"]
    )
    if done.returncode != 0:
        raise ConfigError(
            f"formula {spec.name}: ref {ref!r} does not resolve in {spec.source}; "
            "name a tag, a branch or a commit that exists there"
        )
    return done.stdout.strip()


def _has_commit(mirror: Path, commit: str) -> bool:
    if not mirror.is_dir():
        return False
    done = process.run(["git", "--git-dir", str(mirror), "cat-file", "-e", f"{commit}^{{commit}}"])
    return done.returncode == 0
