"""The promotion gate: a commit is promotable once a full pipeline passed on exactly it.

A pass is bound to what ships: the commit, the git trees of the state and pillar
roots, the hash of the configuration file at that commit (and of the overrides that
change it), the Salt version and the target matrix. `saltline test` takes that
fingerprint before it starts and records a pass only if the tree was clean then,
nothing untracked or ignored sits under the roots (it would be tested, not shipped),
and nothing moved by the end.

A pass is recorded twice: as a line of JSON in git notes (`refs/notes/saltline`, to
push with the commit) and as a file in the reports directory (a CI artifact, for the
promote job). A run over part of the matrix (a CI shard, a platform, a Salt version,
an environment: whole groups of peers) records that part and the targets it tested; a
commit has passed once the runs with one fingerprint together cover the whole matrix.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any, TypeGuard

from saltline.config import OWN_OUTPUTS, Config, Target
from saltline.config import parse as parse_config
from saltline.errors import GitError
from saltline.promotion import audit, bundle, git


@dataclass(frozen=True)
class Fingerprint:
    """Exactly what was tested, and therefore what may ship."""

    sha: str
    content: dict[str, str]  # release path (root, lock file) → git object hash at `sha`
    config: str  # hash of the configuration file at `sha`, with its overrides
    salt_version: str
    matrix: list[str]  # every target key of the configuration


@dataclass(frozen=True)
class PassRecord:
    fingerprint: Fingerprint
    targets: list[str]  # the target keys this run tested
    shard: str | None  # the slice of the matrix ("1/2", "debian13 × Salt 3008.3"); None: all
    time: str

    def to_json(self) -> str:
        return json.dumps(
            {**asdict(self.fingerprint), "targets": self.targets, "shard": self.shard,
             "time": self.time},
            sort_keys=True,
        )  # fmt: skip


def fingerprint(config: Config, sha: str) -> Fingerprint:
    """The fingerprint of commit `sha`, with the configuration file as it is in that commit."""
    root = config.root
    relative = config.path.name  # the configuration file, relative to the root
    text = git.show(root, sha, relative)
    committed = parse_config(text, config.path)
    overrides = os.environ.get("SALTLINE_CA_BUNDLE", "")
    return Fingerprint(
        sha=sha,
        content={path: git.subtree(root, sha, path) for path in bundle.release_paths(committed)},
        config=hashlib.sha256(f"{relative}\0{text}\0{overrides}".encode()).hexdigest()[:16],
        salt_version=committed.salt_version,
        matrix=sorted(target.key for target in committed.targets()),
    )


def snapshot(config: Config) -> tuple[Fingerprint | None, str]:
    """HEAD's fingerprint if the tree is what HEAD ships, else None and why not."""
    root = config.root
    if not git.is_repository(root):
        return None, "not a git checkout"
    dirty = git.dirty_paths(root, but=OWN_OUTPUTS)
    if dirty:
        return None, f"the tree is not clean ({', '.join(dirty[:5])})"
    paths = bundle.release_paths(config)
    extra = git.untracked_and_ignored(root, paths, but=OWN_OUTPUTS)
    if extra:
        return None, (
            f"files under {', '.join(paths)} would be tested but not shipped "
            f"(untracked or ignored: {', '.join(extra[:5])})"
        )
    try:
        return fingerprint(config, git.resolve(root, "HEAD")), ""
    except GitError as exc:
        return None, str(exc)


def record(
    config: Config,
    before: Fingerprint,
    reports_dir: Path,
    targets: list[Target],
    part: str | None,
) -> tuple[PassRecord | None, str]:
    """Record a pass for the fingerprint taken before the run, if nothing moved since."""
    after, why = snapshot(config)
    if after != before:
        return None, why or "the checkout changed during the run"
    entry = PassRecord(
        fingerprint=before,
        targets=sorted(target.key for target in targets),
        shard=part,
        time=audit.utc_timestamp(),
    )
    text = entry.to_json()
    git.append_note(config.root, before.sha, text)
    slug = "all" if part is None else re.sub(r"[^a-z0-9.]+", "-", part.lower()).strip("-")
    name = f"pass-{before.sha[:12]}-{slug}.json"
    reports_dir.mkdir(parents=True, exist_ok=True)
    (reports_dir / name).write_text(text + "\n")
    return entry, ""


def passes(root: Path, sha: str, reports_dir: Path) -> tuple[list[PassRecord], list[str]]:
    """Every well-formed pass recorded for a commit (git notes, report files), and warnings
    naming the records that are not."""
    sources = [
        (f"git notes {git.NOTES_REF}", line) for line in git.read_notes(root, sha).splitlines()
    ]
    sources += [
        (str(path), path.read_text(errors="replace"))
        for path in sorted(reports_dir.glob(f"pass-{sha[:12]}-*.json"))
    ]
    found, warnings = [], []
    for source, text in sources:
        if not text.strip():
            continue
        parsed = parse_record(text)
        if parsed is None:
            warnings.append(f"ignored a malformed pass record in {source}: {text.strip()[:120]}")
        elif parsed.fingerprint.sha == sha:
            found.append(parsed)
    return found, warnings


def parse_record(text: str) -> PassRecord | None:
    """A pass record from its JSON line; None when anything is missing or of the wrong type."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        return None
    if not isinstance(data, dict):
        return None
    strings = ("sha", "config", "salt_version", "time")
    if not all(isinstance(data.get(key), str) for key in strings):
        return None
    content, matrix, targets, shard = (
        data.get(k) for k in ("content", "matrix", "targets", "shard")
    )
    if not (_strings(matrix) and _strings(targets)):
        return None
    if not (
        isinstance(content, dict)
        and all(isinstance(k, str) and isinstance(v, str) for k, v in content.items())
        and (shard is None or isinstance(shard, str))
    ):
        return None
    return PassRecord(
        Fingerprint(data["sha"], content, data["config"], data["salt_version"], matrix),
        targets, shard, data["time"],
    )  # fmt: skip


def verdict(records: list[PassRecord], expected: Fingerprint) -> str | None:
    """None when the commit passed as expected; otherwise why not, naming what differs."""
    if not records:
        return (
            f"{expected.sha[:12]} has no recorded pass; run `saltline test` on it, on a clean tree"
        )
    matching = [r for r in records if r.fingerprint == expected]
    if not matching:
        return f"{expected.sha[:12]} passed, but not as it would ship: " + _difference(
            records[-1].fingerprint, expected
        )
    if covered(matching):
        return None
    tested = sorted({key for r in matching for key in r.targets})
    missing = sorted(set(expected.matrix) - set(tested))
    return (
        f"{expected.sha[:12]} passed on part of the matrix only; untested: "
        f"{', '.join(missing[:6]) or '(shards of different splits)'}"
    )


def covered(records: list[PassRecord]) -> bool:
    """The runs that passed for one fingerprint (a whole run, a CI shard, a matrix cell)
    together tested every target of its matrix. Runs split by whole groups only (a
    shard, a platform, a Salt version, an environment), so peers were tested together."""
    by_fingerprint: dict[str, set[str]] = {}
    for entry in records:
        key = json.dumps(asdict(entry.fingerprint), sort_keys=True)
        by_fingerprint.setdefault(key, set()).update(entry.targets)
    return any(
        tested >= set(entry.fingerprint.matrix)
        for entry in records
        for tested in [by_fingerprint[json.dumps(asdict(entry.fingerprint), sort_keys=True)]]
    )


def _difference(recorded: Fingerprint, expected: Fingerprint) -> str:
    labels = {"content": "content (git trees of salt/, pillar/)", "config": "configuration",
              "salt_version": "Salt version", "matrix": "target matrix"}  # fmt: skip
    differ = [
        f"{labels.get(f.name, f.name)}: tested {getattr(recorded, f.name)!s:.80}, "
        f"now {getattr(expected, f.name)!s:.80}"
        for f in fields(Fingerprint)
        if getattr(recorded, f.name) != getattr(expected, f.name)
    ]
    return "; ".join(differ) + "; run `saltline test` again"


def _strings(value: Any) -> TypeGuard[list[str]]:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)
