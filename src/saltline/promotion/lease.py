"""The deploy lease: one promotion or rollback per environment at a time, with an owner.

On each master, `deploy.lock/owner.json` says who holds the lease: user, host, pid,
action, commit, start time and a random token. It appears whole (written aside and
renamed into place), only the holder's token releases it, and `saltline unlock ENV
--reason` breaks a stale one. A lease whose holder ran on this host and whose process
is gone is broken by the next promotion, audited.
"""

from __future__ import annotations

import getpass
import json
import os
import secrets
import socket
import time
from dataclasses import dataclass
from pathlib import Path

from saltline.errors import LockHeld, MasterError, SaltlineError
from saltline.promotion import remote
from saltline.promotion.paths import LOCK
from saltline.promotion.release import ReleaseStore

OWNER = f"{LOCK}/owner.json"


@dataclass(frozen=True)
class Holder:
    """Who holds a lease, as its owner.json says."""

    token: str
    user: str
    host: str
    pid: int
    action: str
    sha: str | None
    started: float  # seconds since the epoch
    # Which process, beyond host and pid: its pid namespace (two containers may share a
    # hostname and a pid) and its start time in clock ticks (a pid is reused)
    pid_namespace: str = ""
    process_start: str = ""

    @classmethod
    def mine(cls, action: str, sha: str | None) -> Holder:
        pid = os.getpid()
        return cls(secrets.token_hex(8), getpass.getuser(), socket.gethostname(), pid,
                   action, sha, time.time(), _pid_namespace(), _process_start(pid))  # fmt: skip

    @classmethod
    def parse(cls, text: str) -> Holder | None:
        try:
            data = json.loads(text)
            return cls(str(data["token"]), str(data["user"]), str(data["host"]),
                       int(data["pid"]), str(data["action"]), data.get("sha"),
                       float(data["started"]), str(data.get("pid_namespace", "")),
                       str(data.get("process_start", "")))  # fmt: skip
        except (ValueError, KeyError, TypeError):
            return None

    def to_json(self) -> str:
        return json.dumps(self.__dict__, sort_keys=True)

    def describe(self, now: float | None = None) -> str:
        age = max(0, int((time.time() if now is None else now) - self.started))
        what = f"{self.action} {self.sha[:12]}" if self.sha else self.action
        return f"{self.user}@{self.host} pid {self.pid} ({what}), held for {_duration(age)}"

    def is_gone(self) -> bool:
        """Its process ran here (this host and pid namespace) and has exited, or its pid
        is another process's now: nobody will ever release it. A holder in another
        container of the same hostname is never judged gone from here (a lease written
        before saltline recorded namespaces is judged by host and pid alone)."""
        elsewhere = self.pid_namespace and self.pid_namespace != _pid_namespace()
        if self.host != socket.gethostname() or elsewhere:
            return False
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
        return bool(self.process_start) and self.process_start != _process_start(self.pid)


def _pid_namespace() -> str:
    try:
        return os.readlink("/proc/self/ns/pid")
    except OSError:
        return ""


def _process_start(pid: int) -> str:
    """The process's start time (clock ticks since boot), "" when it cannot be read."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    return stat.rsplit(")", 1)[-1].split()[19]  # field 22; the name may hold spaces


class LeaseLost(SaltlineError):
    """This promotion's lease was broken or unlocked: it must not change anything more."""

    exit_code = 1


def check_held(store: ReleaseStore, holder: Holder) -> None:
    """Raise LeaseLost unless `holder`'s lease is still the one on this master: a lease
    broken or unlocked meanwhile stops its former holder at its next step (fencing)."""
    held, current = read_holder(store)
    if not held or current is None or current.token != holder.token:
        who = current.describe() if current else "nobody"
        raise LeaseLost(
            f"master {store.master.address}: this {holder.action}'s deploy lease was broken "
            f"or unlocked (now held by {who}); stopping before its next step"
        )


def _duration(seconds: int) -> str:
    if seconds < 120:
        return f"{seconds}s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    return f"{seconds // 3600} h"


def read_holder(store: ReleaseStore) -> tuple[bool, Holder | None]:
    """(held at all, by whom if owner.json says so). A command that fails otherwise than
    by saying "no such file" raises MasterError: never read as a lease broken."""
    if store.meta.check(["test", "-d", LOCK], ok=(0, 1)).exit_code == 1:
        return False, None
    return True, Holder.parse(store.meta.check(["cat", OWNER], ok=(0, 1)).stdout)


def _try_acquire(store: ReleaseStore, holder: Holder) -> bool:
    command = [*remote.call("acquire", "lease.sh"), holder.token, holder.to_json()]
    return store.meta.check(command, ok=(0, remote.Exit.LEASE_HELD)).exit_code == 0


def acquire(store: ReleaseStore, holder: Holder) -> None:
    if _try_acquire(store, holder):
        return
    held, other = read_holder(store)
    if not held:  # released between our attempt and our look: try once more
        if _try_acquire(store, holder):
            return
        raise MasterError(store.master.address, f"could not take {LOCK}")
    raise LockHeld(held_message(store, other))


def held_message(store: ReleaseStore, other: Holder | None) -> str:
    who = other.describe() if other else "an owner that cannot be read"
    return (
        f"master {store.master.address} is locked by another promotion: {who}; wait for it, "
        'or, if it died, `saltline unlock ENV --reason "…"`'
    )


def release(store: ReleaseStore, holder: Holder) -> None:
    """Remove the lease if, and only if, it is ours."""
    store.meta.run([*remote.call("release_own", "lease.sh"), holder.token])


def break_lease(store: ReleaseStore, expected: Holder | None) -> None:
    """Remove whatever lease is held (unlock): only if it is still the one we looked at."""
    if expected is None:
        store.meta.run(["rm", "-rf", LOCK])
    else:
        release(store, expected)
