"""Releases on a salt-master: a directory per SHA behind an atomically switched symlink.

Layout under RELEASE_ROOT on each master:

    releases/<sha>/{salt,pillar,RELEASE.json}   one per promoted commit, complete or absent
    current -> releases/<sha>                   what file_roots and pillar_roots point at
    history.jsonl                               every switch of `current`, appended
    audit.jsonl                                 every promotion, refusal, override, rollback
    deploy.lock/owner.json                      held while a promotion runs

Uploads land in a hidden directory and are renamed into place, and the symlink is
switched with rename(2), so a master is always on a whole release.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from saltline.errors import LockHeld, SaltlineError
from saltline.promotion.transport import Transport

RELEASE_ROOT = "/srv/saltline"
RELEASES = f"{RELEASE_ROOT}/releases"
CURRENT = f"{RELEASE_ROOT}/current"
LOCK = f"{RELEASE_ROOT}/deploy.lock"
HISTORY = f"{RELEASE_ROOT}/history.jsonl"
AUDIT = f"{RELEASE_ROOT}/audit.jsonl"


@dataclass(frozen=True)
class ReleaseStore:
    """The release directories of one master."""

    master: Transport

    def _sh(self, script: str, *args: str) -> str:
        """Run a fixed script with its values as positional arguments (no quoting games)."""
        done = self.master.run(["sh", "-c", script, "saltline", *args])
        if done.exit_code != 0:
            raise SaltlineError(f"master {self.master.address}: {done.stderr.strip() or script}")
        return done.stdout

    def acquire_lock(self, owner: dict[str, Any]) -> None:
        done = self.master.run(
            ["sh", "-c", 'mkdir -p "$1" && mkdir "$2" && printf "%s\\n" "$3" > "$2/owner.json"',
             "saltline", RELEASES, LOCK, json.dumps(owner)]
        )  # fmt: skip
        if done.exit_code != 0:
            holder = self.master.run(["cat", f"{LOCK}/owner.json"]).stdout.strip() or "unknown"
            raise LockHeld(
                f"master {self.master.address} is locked by another promotion: {holder}; "
                f"wait for it, or remove {LOCK} on the master if it died"
            )

    def release_lock(self) -> None:
        self._sh('rm -rf "$1"', LOCK)

    def has(self, sha: str) -> bool:
        return self.master.run(["test", "-f", f"{RELEASES}/{sha}/RELEASE.json"]).exit_code == 0

    def upload(self, sha: str, tar: bytes, stamp: dict[str, Any]) -> None:
        """Put a release in place whole: unpack aside, stamp, rename. A no-op if present."""
        if self.has(sha):
            return
        incoming = f"{RELEASES}/.incoming-{sha}"
        self._sh('rm -rf "$1" && mkdir -p "$1"', incoming)
        self.master.unpack(incoming, tar)
        self._sh(
            'printf "%s\\n" "$2" > "$1/RELEASE.json" && rm -rf "$3" && mv -T "$1" "$3"',
            incoming, json.dumps(stamp), f"{RELEASES}/{sha}",
        )  # fmt: skip

    def current(self) -> str | None:
        done = self.master.run(["readlink", CURRENT])
        return (
            done.stdout.strip().rsplit("/", 1)[-1]
            if done.exit_code == 0 and done.stdout.strip()
            else None
        )

    def switch(self, sha: str, entry: dict[str, Any]) -> None:
        """Point `current` at a release, atomically, and append the switch to the history."""
        if not self.has(sha):
            raise SaltlineError(f"master {self.master.address} has no whole release {sha[:12]}")
        self._sh(
            'ln -sfn "releases/$2" "$1/.current.new" && mv -T "$1/.current.new" "$1/current" '
            '&& printf "%s\\n" "$3" >> "$4"',
            RELEASE_ROOT, sha, json.dumps(entry), HISTORY,
        )  # fmt: skip

    def stamp(self, sha: str) -> dict[str, Any]:
        done = self.master.run(["cat", f"{RELEASES}/{sha}/RELEASE.json"])
        return json.loads(done.stdout) if done.exit_code == 0 else {}

    def history(self) -> list[dict[str, Any]]:
        done = self.master.run(["cat", HISTORY])
        return (
            [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
            if done.exit_code == 0
            else []
        )

    def previous(self) -> str | None:
        """The release `current` pointed at before the present one (dry runs do not count)."""
        current = self.current()
        for entry in reversed(self.history()):
            if entry.get("dry_run"):
                continue
            if entry.get("sha") != current and self.has(entry.get("sha", "")):
                return str(entry["sha"])
        return None

    def prune(self, keep: int) -> list[str]:
        """Remove all but the newest `keep` releases; never `current` or the one before it."""
        listing = self._sh('ls -1t "$1"', RELEASES).split()
        protected = {self.current(), self.previous()}
        doomed = [sha for sha in listing[keep:] if sha not in protected]
        for sha in doomed:
            self._sh('rm -rf "$1"', f"{RELEASES}/{sha}")
        return doomed

    def audit(self, entry: dict[str, Any]) -> None:
        self._sh(
            'mkdir -p "$1" && printf "%s\\n" "$2" >> "$3"', RELEASE_ROOT, json.dumps(entry), AUDIT
        )
