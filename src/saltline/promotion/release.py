"""Releases on a salt-master: a directory per SHA behind atomically switched symlinks.

Layout under `paths.RELEASE_ROOT` on each master:

    releases/<sha>/{salt,pillar,RELEASE.json}   one per uploaded commit, complete or absent
    current -> releases/<sha>                   what the live master serves
    candidate -> releases/<sha>                 what the candidate master serves to dry runs
    history.jsonl                               every switch of `current`, and every rollout
                                                that finished ("rolled-out"): what "reached"
                                                means
    audit.jsonl                                 every promotion, refusal, override, rollback
    deploy.lock/owner.json                      the deploy lease (see `lease`)

Uploads land in a hidden directory and are renamed into place, and symlinks are
switched with rename(2), so a master is always on a whole release. RELEASE.json
records a digest of every file, which `verify` recomputes on the master.
"""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from dataclasses import dataclass
from typing import Any

from saltline.errors import MasterError, MasterUnreachable, SaltlineError
from saltline.promotion import remote
from saltline.promotion.paths import AUDIT, CANDIDATE, CURRENT, HISTORY, PAUSED, RELEASES
from saltline.promotion.transport import Transport

_VERIFY_PASS = remote.python("verify_pass.py")
ROLLED_OUT = "rolled-out"
WITHDRAWN = "withdrawn"  # a release rolled back from, or a rollout undone after its mark


def file_listing(tar: bytes) -> str:
    """`sha256sum`'s lines for every regular file of the release, in byte order."""
    lines = []
    with tarfile.open(fileobj=io.BytesIO(tar)) as archive:
        for member in archive.getmembers():
            if member.isfile():
                handle = archive.extractfile(member)
                data = handle.read() if handle else b""
                lines.append((member.name, f"{hashlib.sha256(data).hexdigest()}  {member.name}\n"))
    return "".join(line for _, line in sorted(lines, key=lambda pair: pair[0].encode()))


def listing_digest(listing: str) -> str:
    return hashlib.sha256(listing.encode()).hexdigest()


def content_digest(tar: bytes) -> str:
    """The digest RELEASE.json records: over the release's file listing."""
    return listing_digest(file_listing(tar))


def differences(expected: str, found: str) -> str:
    """What differs between two file listings, by path (a few of each kind)."""

    def by_path(listing: str) -> dict[str, str]:
        pairs = (line.split("  ", 1) for line in listing.splitlines() if "  " in line)
        return {path: digest for digest, path in pairs}

    want, have = by_path(expected), by_path(found)
    kinds = {
        "changed": [p for p in want if p in have and have[p] != want[p]],
        "missing": [p for p in want if p not in have],
        "not uploaded": [p for p in have if p not in want],
    }
    said = [
        f"{kind}: {', '.join(paths[:5])}{' …' if len(paths) > 5 else ''}"
        for kind, paths in kinds.items()
        if paths
    ]
    return "; ".join(said) or "the same files, listed differently"


def standing_rollouts(history: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The releases whose last rollout record is not followed by a withdrawal, each with
    that record, in the order of their last rollout.

    >>> standing_rollouts([{"event": "rolled-out", "sha": "a"},
    ...                    {"event": "rolled-out", "sha": "b"},
    ...                    {"event": "withdrawn", "sha": "b"}])
    {'a': {'event': 'rolled-out', 'sha': 'a'}}
    """
    standing: dict[str, dict[str, Any]] = {}
    for entry in history:
        sha = entry.get("sha")
        if not isinstance(sha, str):
            continue
        if entry.get("event") == ROLLED_OUT:
            standing.pop(sha, None)  # its newest rollout decides its place
            standing[sha] = entry
        elif entry.get("event") == WITHDRAWN:
            standing.pop(sha, None)
    return standing


METADATA_TIMEOUT = 30  # seconds for a link, a history or audit line, a stamp, the lease
CHECK_TIMEOUT = 120  # seconds for a master's own check of a release's signed pass


@dataclass(frozen=True)
class ReleaseStore:
    """The release directories of one master. Metadata commands (links, history, audit,
    stamps, the lease) get `metadata_timeout`; uploads and pruning the transport's own."""

    master: Transport
    metadata_timeout: int = METADATA_TIMEOUT

    @property
    def meta(self) -> Transport:
        """The master, for metadata commands: a hung disk costs seconds, not an hour."""
        return self.master.limited(self.metadata_timeout)

    def _sh(self, function: str, *args: str, bulk: bool = False) -> str:
        """A function of remote/release.sh, its values as positional arguments (`bulk`:
        it moves or reads a whole release, with the transport's own timeout)."""
        master = self.master if bulk else self.meta
        return master.check([*remote.call(function, "release.sh"), *args]).stdout

    def has(self, sha: str) -> bool:
        return self.meta.run(["test", "-f", f"{RELEASES}/{sha}/RELEASE.json"]).exit_code == 0

    def upload(self, sha: str, tar: bytes, stamp: dict[str, Any]) -> None:
        """Put a release in place whole and verify it; a verified release is kept as it is."""
        expected = file_listing(tar)
        digest = listing_digest(expected)
        if self.has(sha) and self.verify(sha, digest):
            return
        incoming = f"{RELEASES}/.incoming-{sha}"
        self._sh("prepare_upload", incoming, bulk=True)
        self.master.unpack(incoming, tar)
        self._sh("place_upload", incoming, json.dumps({**stamp, "digest": digest}),
                 f"{RELEASES}/{sha}", bulk=True)  # fmt: skip
        found = self._listing(sha)
        if listing_digest(found) != digest:
            raise MasterError(
                self.master.address,
                f"releases/{sha[:12]} does not match what was uploaded "
                f"({differences(expected, found)}): a full disk, or something else writing "
                "there?",
            )

    def verify(self, sha: str, digest: str) -> bool:
        """Whether the files of releases/<sha> on the master are exactly those uploaded
        (not when they cannot all be read)."""
        try:
            return listing_digest(self._listing(sha)) == digest
        except MasterUnreachable:
            raise
        except SaltlineError:
            return False

    def _listing(self, sha: str) -> str:
        return self._sh("listing", f"{RELEASES}/{sha}", bulk=True)

    def current(self) -> str | None:
        return self._target(CURRENT)

    def candidate(self) -> str | None:
        return self._target(CANDIDATE)

    def _target(self, link: str) -> str | None:
        done = self.meta.check(["readlink", link], ok=(0, 1))  # 1: no such link
        target = done.stdout.strip()
        return target.rsplit("/", 1)[-1] if done.exit_code == 0 and target else None

    def switch(self, sha: str, entry: dict[str, Any]) -> str | None:
        """Point `current` at a release, atomically, and append the switch to the history.
        A master holding /etc/saltline/allowed_signers checks the release's signed pass
        itself first (remote/verify_pass.py): who signed it, or None when it does not
        check; MasterError when it refuses."""
        if not self.has(sha):
            raise MasterError(self.master.address, f"has no whole release {sha[:12]}")
        command = [*remote.call("serve", "salt_python.sh", "release.sh"), sha, _VERIFY_PASS]
        done = self.master.limited(CHECK_TIMEOUT).check(command, ok=(0, remote.Exit.PASS_REFUSED))
        if done.exit_code == remote.Exit.PASS_REFUSED:
            raise MasterError(
                self.master.address,
                f"refuses to serve releases/{sha[:12]}: {done.tail(1)} (its "
                "/etc/saltline/allowed_signers; README: Signed passes)",
            )
        verified = done.stdout.strip() or None
        self._history({**entry, "sha": sha, "event": "switched", "master_verified": verified})
        return verified

    def put_passes(self, sha: str, lines: list[str]) -> None:
        """The pass records the gate counted, beside the release: what the master's own
        check reads (outside salt/ and pillar/: not part of what is served)."""
        self._sh("put", f"{RELEASES}/{sha}/PASS.jsonl", "\n".join(lines))

    def offer(self, sha: str) -> None:
        """Point `candidate` at a release: only the candidate master serves it."""
        if not self.has(sha):
            raise MasterError(self.master.address, f"has no whole release {sha[:12]}")
        self._link(CANDIDATE, sha)

    def restore(self, sha: str | None, entry: dict[str, Any]) -> None:
        """Put `current` back where it was: at `sha`, or nowhere if there was none."""
        if sha is None:
            self.meta.check(["rm", "-f", CURRENT])
        else:
            self._link(CURRENT, sha)
        self._history({**entry, "sha": sha, "event": "restored"})

    def _link(self, link: str, sha: str) -> None:
        self._sh("point", link, sha)

    def mark_rolled_out(self, sha: str, entry: dict[str, Any]) -> None:
        """Record that a rollout of `sha` finished on every minion of the environment."""
        self._history({**entry, "sha": sha, "event": ROLLED_OUT})

    def withdraw(self, sha: str, entry: dict[str, Any]) -> None:
        """Record that `sha` no longer counts as rolled out here (until rolled out again)."""
        self._history({**entry, "sha": sha, "event": WITHDRAWN})

    def _history(self, entry: dict[str, Any]) -> None:
        self._sh("append", HISTORY, json.dumps(entry, sort_keys=True))

    def stamp(self, sha: str) -> dict[str, Any]:
        done = self.meta.run(["cat", f"{RELEASES}/{sha}/RELEASE.json"])
        try:
            value = json.loads(done.stdout) if done.exit_code == 0 else {}
        except json.JSONDecodeError:
            return {}
        return value if isinstance(value, dict) else {}

    def history(self) -> list[dict[str, Any]]:
        """Every entry of history.jsonl that parses (a torn last line is skipped)."""
        done = self.meta.run(["cat", HISTORY])
        entries = []
        for line in done.stdout.splitlines() if done.exit_code == 0 else []:
            try:
                value = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(value, dict):
                entries.append(value)
        return entries

    def rollout_of(self, sha: str) -> dict[str, Any] | None:
        """The record of the last finished rollout of `sha` here, unless it was withdrawn
        since (rolled back from, or undone)."""
        standing = standing_rollouts(self.history())
        return standing.get(sha)

    def reached(self, sha: str) -> bool:
        """Whether a rollout of `sha` finished here and stands (uploads and dry runs do
        not count, nor a release withdrawn since)."""
        return self.rollout_of(sha) is not None

    def rolled_out_newest_first(self) -> list[str]:
        """The releases whose rollout stands here, newest rollout first."""
        return list(reversed(standing_rollouts(self.history())))

    def withdrawn(self) -> list[str]:
        """Releases rolled out here once and withdrawn since."""
        history = self.history()
        standing = standing_rollouts(history)
        return list(dict.fromkeys(
            str(e["sha"]) for e in history
            if e.get("event") == WITHDRAWN and e.get("sha") and e["sha"] not in standing
        ))  # fmt: skip

    def last_rolled_out(self) -> str | None:
        """The newest release whose rollout stands here, if it is still here."""
        return next((sha for sha in self.rolled_out_newest_first() if self.has(sha)), None)

    def previous(self) -> str | None:
        """The last release rolled out here before the current one (and not withdrawn),
        if it is still here."""
        current = self.current()
        return next(
            (sha for sha in self.rolled_out_newest_first() if sha != current and self.has(sha)),
            None,
        )

    def prune(self, keep: int) -> list[str]:
        """Remove all but the newest `keep` releases; never current, candidate or previous."""
        listing = self._sh("newest_first").split()
        protected = {self.current(), self.candidate(), self.previous()}
        doomed = [sha for sha in listing[keep:] if sha not in protected]
        for sha in doomed:
            self.master.check(["rm", "-rf", f"{RELEASES}/{sha}"])
        return doomed

    def paused(self) -> dict[str, list[str]]:
        """The schedule jobs paused by a promotion or rollback, by minion (`schedules`)."""
        done = self.meta.run(["cat", PAUSED])
        try:
            value = json.loads(done.stdout) if done.exit_code == 0 else {}
        except json.JSONDecodeError:
            return {}
        if not isinstance(value, dict):
            return {}
        return {str(m): [str(n) for n in names] for m, names in value.items()
                if isinstance(names, list)}  # fmt: skip

    def put_paused(self, jobs: dict[str, list[str]]) -> None:
        self._sh("put", PAUSED, json.dumps(jobs, sort_keys=True))

    def clear_paused(self) -> None:
        self.meta.check(["rm", "-f", PAUSED])

    def audit(self, entry: dict[str, Any]) -> None:
        self._sh("append", AUDIT, json.dumps(entry, sort_keys=True))
