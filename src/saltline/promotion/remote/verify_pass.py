"""A master's own check before it serves a release: a signed pass for exactly its files.

Runs on the master, under the Salt installation's Python, when the master holds
`/etc/saltline/allowed_signers` (root-owned, outside any release): so a modified
client, a stolen deploy account or `--force` cannot make it serve unsigned content.

    python verify_pass.py RELEASE_DIR ALLOWED_SIGNERS

RELEASE_DIR/PASS.jsonl holds the pass records the promotion found (saltline's
`pass_records`): each an in-toto statement and its SSH signature. One or more records
count when their signature verifies against ALLOWED_SIGNERS, their subject is this
release (its commit, the directory's name; its content digest, recomputed here over
every file of salt/ and pillar/ as saltline computes it), and together they passed
every target of their matrix. Exit 0 (printing who signed), or 1 with the reason.
Compatible with the oldest Python a supported Salt runs on (3.9).
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tempfile
from typing import Any

NAMESPACE = "saltline"


def content_digest(release: str) -> str:
    """sha256 over `sha256sum`'s line of every file under salt/ and pillar/, by path."""
    lines = []
    for top in ("salt", "pillar"):
        for directory, _, files in os.walk(os.path.join(release, top)):
            for name in files:
                path = os.path.join(directory, name)
                if os.path.islink(path) or not os.path.isfile(path):
                    continue
                relative = os.path.relpath(path, release)
                with open(path, "rb") as handle:
                    digest = hashlib.sha256(handle.read()).hexdigest()
                lines.append((relative.encode(), f"{digest}  {relative}\n"))
    listing = "".join(line for _, line in sorted(lines))
    return hashlib.sha256(listing.encode()).hexdigest()


def subject(statement: dict[str, Any], name: str) -> str | None:
    """A subject's digest (as saltline's signing.subject_digest: this runs alone here)."""
    for item in statement.get("subject") or []:
        if isinstance(item, dict) and item.get("name") == name:
            values = list((item.get("digest") or {}).values())
            return str(values[0]) if values else None
    return None


def signer(statement: dict[str, Any], signature: str, allowed: str) -> str | None:
    data = json.dumps(statement, sort_keys=True, separators=(",", ":")).encode()
    with tempfile.TemporaryDirectory() as scratch:
        signature_file = os.path.join(scratch, "statement.sig")
        with open(signature_file, "w") as handle:
            handle.write(signature)
        found = subprocess.run(
            ["ssh-keygen", "-Y", "find-principals", "-s", signature_file, "-f", allowed],
            capture_output=True, check=False,
        )  # fmt: skip
        principals = found.stdout.decode().split()
        if found.returncode != 0 or not principals:
            return None
        done = subprocess.run(
            ["ssh-keygen", "-Y", "verify", "-f", allowed, "-I", principals[0], "-n", NAMESPACE,
             "-s", signature_file],
            input=data, capture_output=True, check=False,
        )  # fmt: skip
    return principals[0] if done.returncode == 0 else None


def check(release: str, allowed: str) -> tuple[bool, str]:
    sha = os.path.basename(release.rstrip("/"))
    try:
        with open(os.path.join(release, "PASS.jsonl")) as handle:
            lines = [line for line in handle if line.strip()]
    except OSError:
        return False, "it came with no pass records"
    digest = content_digest(release)
    tested: dict[str, set[str]] = {}
    matrices: dict[str, set[str]] = {}
    signers = set()
    why = "no record is for this release"
    for line in lines:
        try:
            record = json.loads(line)
            statement, signature = record["statement"], record.get("signature")
            predicate = statement["predicate"]
            saltline = dict(predicate["saltline"])
        except (ValueError, KeyError, TypeError):
            continue
        if (subject(statement, "commit"), subject(statement, "release")) != (sha, digest):
            continue
        who = signer(statement, signature, allowed) if signature else None
        if who is None:
            why = "no record signed by a key of its allowed_signers"
            continue
        signers.add(who)
        matrix = saltline.get("matrix") or []
        for key in ("shard", "time"):
            saltline.pop(key, None)
        fingerprint = json.dumps(saltline, sort_keys=True)
        tested.setdefault(fingerprint, set()).update(predicate.get("passedTests") or [])
        matrices[fingerprint] = set(matrix)
    for fingerprint, targets in tested.items():
        if targets >= matrices[fingerprint]:
            return True, "signed by " + ", ".join(sorted(signers))
    if tested:
        why = "the signed records cover part of the matrix only"
    return False, why


def main(argv: list[str]) -> int:
    ok, said = check(argv[0], argv[1])
    print(said, file=sys.stdout if ok else sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
