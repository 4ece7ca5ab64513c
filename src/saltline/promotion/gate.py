"""The promotion gate: a commit is promotable once a full pipeline passed on exactly it.

A pass is bound to what ships: the commit, the git trees of the state and pillar
roots, the hash of the configuration file at that commit (and of the overrides that
change it), the Salt version and the target matrix. `saltline test` takes that
fingerprint before it starts and records a pass only if the tree was clean then,
nothing untracked or ignored sits under the roots (it would be tested, not shipped),
and nothing moved by the end.

The fingerprint binds the release's content digest too: every path and content of
the bundle a release is made of (the commit's roots, the locked formulas from the
formula cache), so an edited formula cache after the test is a different release.

A pass is a signed record (`pass_records`, `signing`). A run over part of the matrix
(a CI shard, a platform, a Salt version, an environment: whole groups of peers)
records that part and the targets it tested; a commit has passed once the runs with
one fingerprint together cover the whole matrix.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import asdict, fields, replace
from pathlib import Path
from typing import Any

from saltline.config import OWN_OUTPUTS, Config, Target
from saltline.config import parse as parse_config
from saltline.errors import GitError, UnshippableError
from saltline.estate import git
from saltline.promotion import audit, bundle, release, signing
from saltline.promotion.pass_records import Fingerprint, PassRecord


def fingerprint(config: Config, sha: str) -> Fingerprint:
    """The fingerprint of commit `sha`, with the configuration file as it is in that commit."""
    root = config.root
    relative = config.path.name  # the configuration file, relative to the root
    text = bundle.committed_config_text(config, sha)
    committed = parse_config(text, config.path)
    overrides = os.environ.get("SALTLINE_CA_BUNDLE", "")
    return Fingerprint(
        sha=sha,
        content={path: git.subtree(root, sha, path) for path in bundle.release_paths(committed)},
        bundle=release.content_digest(bundle.release_tar(config, sha)),
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
    except UnshippableError:  # no release could be made of it: refused before testing
        raise
    except GitError as exc:
        return None, str(exc)


def record(
    config: Config,
    before: Fingerprint,
    reports_dir: Path,
    targets: list[Target],
    part: str | None,
    predictions: dict[str, dict[str, list[str]]] | None = None,
) -> tuple[PassRecord | None, str]:
    """Record a pass for the fingerprint taken before the run, if nothing moved since
    (with where Salt's prediction held in its converges, when they checked it)."""
    after, why = snapshot(config)
    if after != before:
        return None, why or "the checkout changed during the run"
    entry = PassRecord(
        fingerprint=before,
        targets=sorted(target.key for target in targets),
        shard=part,
        time=audit.utc_timestamp(),
        predictions=predictions,
    )
    if config.signing_key is not None:  # a protected branch's CI job (SALTLINE_SIGNING_KEY)
        entry = replace(entry, signature=signing.sign(entry.statement(), config.signing_key))
    text = entry.to_json()
    git.append_note(config.root, before.sha, text)
    slug = "all" if part is None else re.sub(r"[^a-z0-9.]+", "-", part.lower()).strip("-")
    name = f"pass-{before.sha[:12]}-{slug}.json"
    reports_dir.mkdir(parents=True, exist_ok=True)
    (reports_dir / name).write_text(text + "\n")
    return entry, ""


def verdict(
    records: list[PassRecord], expected: Fingerprint, refused: list[str] | None = None
) -> str | None:
    """None when the commit passed as expected; otherwise why not, naming what differs
    (`refused`: the records that did not count, and why)."""
    if not records and refused:
        return (
            f"{expected.sha[:12]} has no pass that counts: "
            + "; ".join(refused[:4])
            + " (a pass counts when a key of promotion.allowed_signers signed it)"
        )
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
              "bundle": "release content (the bundle's digest)",
              "salt_version": "Salt version", "matrix": "target matrix"}  # fmt: skip
    differ = [
        f"{labels.get(f.name, f.name)}: tested {getattr(recorded, f.name)!s:.80}, "
        f"now {getattr(expected, f.name)!s:.80}"
        for f in fields(Fingerprint)
        if getattr(recorded, f.name) != getattr(expected, f.name)
    ]
    return "; ".join(differ) + "; run `saltline test` again"


def rollout_refusal(
    record: dict[str, Any] | None, sha: str, environment: str, allowed: Path | None
) -> str | None:
    """None when `record` (a master's rolled-out record of `sha`) shows that the release
    reached `environment`; otherwise why it does not count."""
    if record is None:
        return (
            f"{sha[:12]} has not reached {environment} (a rollout there has not finished on "
            "every master)"
        )
    if allowed is None:
        return None
    statement = record.get("statement")
    if not isinstance(statement, dict):
        return f"{sha[:12]}'s rollout record on {environment} is unsigned"
    said = (signing.subject_digest(statement, "commit"),
            (statement.get("predicate") or {}).get("environment"))  # fmt: skip
    if said != (sha, environment):
        return f"{sha[:12]}'s rollout record on {environment} is of another release or place"
    verified = signing.verify(statement, record.get("signature"), allowed)
    if verified.signer is None:
        return f"{sha[:12]}'s rollout record on {environment} does not count: {verified.refusal}"
    return None
