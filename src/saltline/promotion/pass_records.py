"""Pass records: what a passing `saltline test` wrote, where, and whether it counts.

A record is one line of JSON, `{"statement": …, "signature": …}`: an in-toto test-result
statement (`signing`) carrying the fingerprint of what was tested, and its SSH signature
(null when the run held no signing key). It is written twice, as a line in git notes
(`refs/notes/saltline`, to push with the commit) and as a file in the reports
directory (a CI artifact, for the promote job). Anyone can write either: a record
counts only when its signature verifies against the allowed signers.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, TypeGuard

from saltline.estate import git
from saltline.promotion import signing


@dataclass(frozen=True)
class Fingerprint:
    """Exactly what was tested, and therefore what may ship."""

    sha: str
    content: dict[str, str]  # release path (root, lock file) → git object hash at `sha`
    bundle: str  # the release's content digest: every path and content that ships
    config: str  # hash of the configuration file at `sha`, with its overrides
    salt_version: str
    matrix: list[str]  # every target key of the configuration


@dataclass(frozen=True)
class PassRecord:
    fingerprint: Fingerprint
    targets: list[str]  # the target keys this run tested
    shard: str | None  # the slice of the matrix ("1/2", "debian13 × Salt 3008.3"); None: all
    time: str
    signature: str | None = None  # of `statement()`, armored; None: unsigned
    signer: str | None = None  # the allowed principal whose signature verified, once checked
    # minion → "held" / "unpredicted" / "predicted_unchanged" → state IDs (`prediction`)
    predictions: dict[str, dict[str, list[str]]] | None = None

    def statement(self) -> dict[str, Any]:
        saltline = {**asdict(self.fingerprint), "shard": self.shard, "time": self.time}
        return signing.passed_statement(
            self.fingerprint.sha, self.fingerprint.bundle, saltline, self.targets,
            self.predictions,
        )  # fmt: skip

    def to_json(self) -> str:
        return json.dumps({"statement": self.statement(), "signature": self.signature},
                          sort_keys=True)  # fmt: skip


def parse_record(text: str) -> PassRecord | None:
    """A record from its JSON line; None when anything is missing or of the wrong type."""
    try:
        data = json.loads(text)
        statement = data["statement"]
        saltline = statement["predicate"]["saltline"]
        targets = statement["predicate"]["passedTests"]
        signature = data.get("signature")
    except (json.JSONDecodeError, KeyError, TypeError):
        return None
    strings = ("sha", "bundle", "config", "salt_version", "time")
    if not (isinstance(saltline, dict) and all(isinstance(saltline.get(k), str) for k in strings)):
        return None
    content, matrix, shard = (saltline.get(k) for k in ("content", "matrix", "shard"))
    if not (_strings(matrix) and _strings(targets)):
        return None
    if not (
        isinstance(content, dict)
        and all(isinstance(k, str) and isinstance(v, str) for k, v in content.items())
        and (shard is None or isinstance(shard, str))
        and (signature is None or isinstance(signature, str))
    ):
        return None
    fingerprint = Fingerprint(saltline["sha"], content, saltline["bundle"], saltline["config"],
                              saltline["salt_version"], matrix)  # fmt: skip
    predictions = statement["predicate"].get("saltlinePredictions")
    if predictions is not None and not _predictions(predictions):
        return None
    record = PassRecord(fingerprint, targets, shard, saltline["time"], signature,
                        predictions=predictions)  # fmt: skip
    if record.statement() != statement:  # fields of its own, unknown to this saltline
        return None
    return record


@dataclass
class Found:
    """The records of one commit: those that count, and why the others do not."""

    records: list[PassRecord]
    refused: list[str]  # "<where>: <why>", a record that does not count
    warnings: list[str]  # malformed lines


def read(root: Path, sha: str, reports_dir: Path, allowed: Path | None) -> Found:
    """Every record of a commit (git notes, report files). With allowed signers, only
    records whose signature verifies count; without, every well-formed record does."""
    sources = [(f"git notes {git.NOTES_REF}", line)
               for line in git.read_notes(root, sha).splitlines()]  # fmt: skip
    sources += [
        (str(path), path.read_text(errors="replace"))
        for path in sorted(reports_dir.glob(f"pass-{sha[:12]}-*.json"))
    ]
    found = Found([], [], [])
    for source, text in sources:
        if not text.strip():
            continue
        record = parse_record(text)
        if record is None:
            found.warnings.append(f"ignored a malformed pass record in {source}: "
                                  f"{text.strip()[:120]}")  # fmt: skip
            continue
        if record.fingerprint.sha != sha:
            continue
        if allowed is None:
            found.records.append(record)
            continue
        verified = signing.verify(record.statement(), record.signature, allowed)
        if verified.signer is None:
            found.refused.append(f"{source}: {verified.refusal}")
        else:
            found.records.append(replace(record, signer=verified.signer))
    return found


def _predictions(value: Any) -> TypeGuard[dict[str, dict[str, list[str]]]]:
    return isinstance(value, dict) and all(
        isinstance(minion, str) and isinstance(kinds, dict)
        and all(isinstance(kind, str) and _strings(ids) for kind, ids in kinds.items())
        for minion, kinds in value.items()
    )  # fmt: skip


def _strings(value: Any) -> TypeGuard[list[str]]:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)
