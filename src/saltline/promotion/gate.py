"""The promotion gate: a commit is promotable once a full pipeline passed on it, clean.

A passing `saltline test` on a clean tree records a pass for HEAD, twice: as a line
of JSON in git notes (`refs/notes/saltline`, to push with the commit) and as a file
in the reports directory (a CI artifact, for the promote job). A run on one shard
of N records that shard; a commit has passed once every shard of some N has.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from saltline.config import Target
from saltline.promotion import audit, git


@dataclass(frozen=True)
class PassRecord:
    sha: str
    tree: str
    salt_version: str
    platforms: list[str]
    minions: list[str]
    time: str
    shard: str | None = None  # "I/N", or None for a run over every minion
    environments: list[str] | None = None  # whose pillar the test minions had


def record(
    root: Path,
    reports_dir: Path,
    salt_version: str,
    targets: list[Target],
    shard: tuple[int, int] | None,
) -> PassRecord | None:
    """Record a pass for HEAD if the tree is clean; None (nothing recorded) otherwise."""
    if not git.is_repository(root) or git.dirty_paths(root):
        return None
    sha = git.resolve(root, "HEAD")
    entry = PassRecord(
        sha=sha,
        tree=git.tree_of(root, sha),
        salt_version=salt_version,
        platforms=sorted({t.platform.name for t in targets}),
        minions=sorted({t.minion.name for t in targets}),
        environments=sorted({t.environment for t in targets}),
        time=audit.utc_timestamp(),
        shard=f"{shard[0]}/{shard[1]}" if shard else None,
    )
    text = json.dumps(asdict(entry), sort_keys=True)
    git.append_note(root, sha, text)
    name = f"pass-{sha[:12]}-{'all' if shard is None else f'{shard[0]}of{shard[1]}'}.json"
    reports_dir.mkdir(parents=True, exist_ok=True)
    (reports_dir / name).write_text(text + "\n")
    return entry


def passes(root: Path, sha: str, reports_dir: Path) -> list[PassRecord]:
    """Every pass recorded for a commit, from git notes and from report files."""
    lines = git.read_notes(root, sha).splitlines()
    lines += [p.read_text() for p in sorted(reports_dir.glob(f"pass-{sha[:12]}-*.json"))]
    found = []
    for line in lines:
        data = _json(line)
        if data and data.get("sha") == sha:
            found.append(PassRecord(**{k: data.get(k) for k in PassRecord.__dataclass_fields__}))
    return found


def passed(records: list[PassRecord]) -> bool:
    """A full run passed, or every shard of some split did."""
    if any(r.shard is None for r in records):
        return True
    shards_by_total: dict[int, set[int]] = {}
    for r in records:
        index, total = (int(n) for n in str(r.shard).split("/"))
        shards_by_total.setdefault(total, set()).add(index)
    return any(found == set(range(1, total + 1)) for total, found in shards_by_total.items())


def _json(line: str) -> dict[str, Any] | None:
    line = line.strip()
    if not line.startswith("{"):
        return None
    try:
        value = json.loads(line)
    except json.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None
