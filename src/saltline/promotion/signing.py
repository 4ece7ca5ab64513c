"""Signed statements: a pass, or a finished rollout, counts only when an allowed key
signed it.

A statement is an in-toto Statement (v1): its subject is the commit and the release's
content digest (every path and content `bundle` ships, as the masters recompute it);
its predicate says what was tested (the test-result predicate) or where the release
was rolled out. It is signed with `ssh-keygen -Y sign` under NAMESPACE, by a key that
only the CI jobs of protected branches hold (SALTLINE_SIGNING_KEY), and verified
against an ssh allowed_signers file (`promotion.allowed_signers` for the gate,
`/etc/saltline/allowed_signers` on a master). The signature covers the statement's
canonical JSON (sorted keys, no blanks), so it travels as JSON beside it.

>>> statement = passed_statement("a" * 40, "d" * 64, {"config": "c"}, ["dev/web1"])
>>> statement["predicateType"], statement["subject"][1]["digest"]["sha256"][:4]
('https://in-toto.io/attestation/test-result/v0.1', 'dddd')
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from saltline import process
from saltline.errors import SaltlineError

NAMESPACE = "saltline"  # ssh-keygen -n: a signature made for saltline is valid for nothing else
STATEMENT = "https://in-toto.io/Statement/v1"
TEST_RESULT = "https://in-toto.io/attestation/test-result/v0.1"
ROLLED_OUT = "https://saltline.dev/attestation/rolled-out/v1"
TIMEOUT = 30


def _subject(sha: str, bundle_digest: str) -> list[dict[str, Any]]:
    return [
        {"name": "commit", "digest": {"gitCommit": sha}},
        {"name": "release", "digest": {"sha256": bundle_digest}},
    ]


def passed_statement(
    sha: str,
    bundle_digest: str,
    saltline: dict[str, Any],
    passed: list[str],
    predictions: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """What a passing `saltline test` says: the commit and content it tested, and how;
    with `predictions`, where Salt's test=True prediction held in its converges (by
    minion; outside `saltline`, which is the fingerprint the masters group passes by)."""
    statement: dict[str, Any] = {
        "_type": STATEMENT,
        "subject": _subject(sha, bundle_digest),
        "predicateType": TEST_RESULT,
        "predicate": {
            "result": "PASSED",
            "passedTests": passed,
            "warnedTests": [],
            "failedTests": [],
            "configuration": [],
            "saltline": saltline,  # the fingerprint and the slice of the matrix
        },
    }
    if predictions is not None:
        statement["predicate"]["saltlinePredictions"] = predictions
    return statement


def rolled_out_statement(
    sha: str, bundle_digest: str, environment: str, time: str
) -> dict[str, Any]:
    """What a finished rollout says: this release reached every minion of `environment`."""
    return {
        "_type": STATEMENT,
        "subject": _subject(sha, bundle_digest),
        "predicateType": ROLLED_OUT,
        "predicate": {"environment": environment, "time": time},
    }


def canonical(statement: dict[str, Any]) -> bytes:
    return json.dumps(statement, sort_keys=True, separators=(",", ":")).encode()


def subject_digest(statement: dict[str, Any], name: str) -> str | None:
    """A subject's digest value ("commit": the SHA, "release": the content digest)."""
    for subject in statement.get("subject") or []:
        if isinstance(subject, dict) and subject.get("name") == name:
            values = list((subject.get("digest") or {}).values())
            return str(values[0]) if values else None
    return None


class SigningError(SaltlineError):
    """ssh-keygen could not sign (no key, a bad key): exit 2."""


def sign(statement: dict[str, Any], key: Path) -> str:
    """The armored SSH signature of a statement (ssh-keygen -Y sign)."""
    with tempfile.TemporaryDirectory(prefix="saltline-sign-") as scratch:
        private = Path(scratch) / "key"  # ssh-keygen refuses a key others can read
        try:
            shutil.copyfile(key, private)
        except OSError as exc:
            raise SigningError(
                f"could not sign {_kind(statement)}: SALTLINE_SIGNING_KEY: cannot read {key}: {exc}"
            ) from None
        os.chmod(private, 0o600)
        done = process.run(
            ["ssh-keygen", "-q", "-Y", "sign", "-f", str(private), "-n", NAMESPACE],
            stdin=canonical(statement).decode(),
            timeout=TIMEOUT,
        )
    if done.returncode != 0 or "BEGIN SSH SIGNATURE" not in done.stdout:
        raise SigningError(
            f"could not sign {_kind(statement)}: ssh-keygen -Y sign failed: "
            f"{process.tail(done.stderr, 2)}"
        )
    return done.stdout


def _kind(statement: dict[str, Any]) -> str:
    return "the pass" if statement.get("predicateType") == TEST_RESULT else "the rollout record"


@dataclass(frozen=True)
class Verified:
    """Who signed a statement (an allowed_signers principal), or why it does not count."""

    signer: str | None
    refusal: str | None = None


def verify(statement: dict[str, Any], signature: str | None, allowed: Path) -> Verified:
    """Whether `signature` is a valid signature of `statement` by a key of `allowed`."""
    if not signature:
        return Verified(None, "unsigned")
    with tempfile.TemporaryDirectory(prefix="saltline-verify-") as scratch:
        signature_file = Path(scratch) / "statement.sig"
        signature_file.write_text(signature)
        found = process.run(
            ["ssh-keygen", "-Y", "find-principals", "-s", str(signature_file),
             "-f", str(allowed)],
            timeout=TIMEOUT,
        )  # fmt: skip
        principals = found.stdout.split()
        if found.returncode != 0 or not principals:
            return Verified(None, f"signed by a key that {allowed.name} does not allow")
        done = process.run(
            ["ssh-keygen", "-Y", "verify", "-f", str(allowed), "-I", principals[0],
             "-n", NAMESPACE, "-s", str(signature_file)],
            stdin=canonical(statement).decode(),
            timeout=TIMEOUT,
        )  # fmt: skip
    if done.returncode != 0:
        return Verified(None, f"its signature does not match it ({process.tail(done.stderr, 1)})")
    return Verified(principals[0])


def rollout_record(
    sha: str, bundle_digest: str, environment: str, time: str, key: Path | None
) -> dict[str, Any]:
    """What a master's rolled-out history entry carries: the statement, and its signature
    when this run holds the signing key (what the next environment's gate checks)."""
    statement = rolled_out_statement(sha, bundle_digest, environment, time)
    return {"statement": statement, "signature": sign(statement, key) if key else None}
