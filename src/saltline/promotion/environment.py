"""An environment's masters, reached and checked before anything changes, and what every
promotion command does with them: audit, lease, schedules, apply in batches.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from typing import Any

import docker

from saltline.config import Config
from saltline.console import Console
from saltline.errors import LockHeld, MasterUnreachable, SaltlineError
from saltline.promotion import audit, lease, schedules
from saltline.promotion.release import ReleaseStore
from saltline.promotion.rollout import MinionRuns, SaltMaster, batches, failures
from saltline.promotion.transport import Transport, open_transport

Connect = Callable[[], docker.DockerClient]
COMMAND_MARGIN = 60  # seconds a master command may take beyond Salt's own timeout
BUSY_POLL = 2  # seconds between looks at a busy minion's jobs


class Environment:
    """The masters of one environment, each with its release store and Salt commands."""

    def __init__(
        self,
        config: Config,
        name: str,
        connect: Connect,
        console: Console,
        skip_unreachable: bool = False,
    ):
        """`skip_unreachable` (status): a master that cannot be reached is named in
        `unreachable` and left out, instead of failing (every command that changes
        anything needs every master)."""
        if name not in config.environments:
            declared = ", ".join(config.environments)
            raise SaltlineError(
                f"{config.path}: no environment named {name!r}; declared: {declared}"
            )
        addresses = config.masters.get(name, ())
        if not addresses:
            raise SaltlineError(f"{config.path}: environment {name!r} has no masters to promote to")
        client = connect() if any(a.scheme == "docker" for a in addresses) else None
        timeout = config.promotion.timeout + COMMAND_MARGIN
        self.name = name
        self.config = config
        self.console = console
        self.masters: list[Transport] = []
        self.unreachable: dict[str, str] = {}  # address → why
        for address in addresses:
            try:
                self.masters.append(
                    open_transport(address, client, timeout, config.promotion.ssh_config)
                )
            except MasterUnreachable as exc:
                if not skip_unreachable:
                    raise
                self.unreachable[str(address)] = str(exc)
        settings = config.promotion
        self.stores = [ReleaseStore(master, settings.metadata_timeout) for master in self.masters]
        self.salts = [SaltMaster(master, settings.timeout, settings.ping_timeout)
                      for master in self.masters]  # fmt: skip
        self._plan: list[tuple[SaltMaster, list[str]]] | None = None

    def log(self, action: str, sha: str | None, outcome: str, **details: Any) -> None:
        """Audit an outcome: locally first (a failure there raises), then on every master
        that answers (one that does not is named, and the outcome is not lost)."""
        event = audit.entry(action, self.name, sha, outcome, **details)
        audit.append_local(self.config.root, event)
        for store in self.stores:
            try:
                store.audit(event)
            except SaltlineError as exc:
                self.console.say(f"warning: audit not written on {store.master.address}: {exc}")

    @contextlib.contextmanager
    def leased(self, action: str, sha: str | None) -> Iterator[lease.Holder]:
        """Hold the deploy lease on every master; released, only ours, whatever happens."""
        holder = lease.Holder.mine(action, sha)
        try:
            for store in self.stores:
                self._acquire(store, holder, action, sha)
            # Audited before anything changes: without a local audit log, nothing does.
            self.log(action, sha, "started", lease=holder.token)
            if left := self.resume_schedules():  # paused by a command that was killed
                self.log(action, sha, "schedules-resumed", jobs=left,
                         reason="left paused by a command that did not finish")  # fmt: skip
            yield holder
        finally:
            for store in self.stores:
                with contextlib.suppress(SaltlineError):
                    lease.release(store, holder)

    def _acquire(
        self, store: ReleaseStore, holder: lease.Holder, action: str, sha: str | None
    ) -> None:
        try:
            lease.acquire(store, holder)
        except LockHeld as exc:
            held, other = lease.read_holder(store)
            if held and other is not None and other.is_gone():
                lease.break_lease(store, other)
                self.log("unlock", other.sha, "lease-broken", holder=other.__dict__,
                         reason="its holder's process on this host is gone")  # fmt: skip
                self.console.say(f"{store.master.address}: broke a dead lease ({other.describe()})")
                lease.acquire(store, holder)
                return
            self.log(action, sha, "refused", reasons=[str(exc)])
            raise

    @contextlib.contextmanager
    def schedules_paused(self) -> Iterator[None]:
        """The planned minions' scheduled state jobs disabled while the block runs, and
        enabled again on every outcome but a lost lease (whoever broke it owns the
        environment, and its record of what is paused)."""
        try:
            for salt, minions in self.minions():
                jobs = schedules.pause(self._store_of(salt), salt, minions)
                if jobs:
                    self.console.say(f"{salt.master.address}: paused scheduled state jobs "
                                     f"until this ends: {_jobs(jobs)}")  # fmt: skip
            yield
        except lease.LeaseLost:
            raise
        except BaseException:
            self.resume_schedules()
            raise
        else:
            self.resume_schedules()

    def resume_schedules(self) -> dict[str, list[str]]:
        """Enable again what is recorded as paused on each master; what was, by minion."""
        resumed: dict[str, list[str]] = {}
        for store, salt in zip(self.stores, self.salts, strict=True):
            try:
                jobs = schedules.resume(store, salt)
            except SaltlineError as exc:
                self.console.say(f"warning: {store.master.address}: scheduled state jobs "
                                 f"stay paused until the next promotion: {exc}")  # fmt: skip
                continue
            if jobs:
                self.console.say(f"{store.master.address}: resumed scheduled state jobs: "
                                 f"{_jobs(jobs)}")  # fmt: skip
            resumed.update(jobs)
        return resumed

    def _store_of(self, salt: SaltMaster) -> ReleaseStore:
        return next(store for store, s in zip(self.stores, self.salts, strict=True) if s is salt)

    def minions(self, tolerant: bool = False) -> list[tuple[SaltMaster, list[str]]]:
        """Each master with the minions it applies: a minion whose key several masters
        accepted (multi-master) is applied once, through the first. Asked once per
        command (a promotion's dry run and rollout apply the same minions, less those
        `leave_out` took out); `tolerant` (undoing a failure) asks again, and skips a
        master that does not answer, naming it."""
        if self._plan is not None and not tolerant:
            return self._plan
        seen: set[str] = set()
        plan = []
        for salt in self.salts:
            try:
                accepted = salt.minions()
            except SaltlineError as exc:
                if not tolerant:
                    raise
                self.console.say(f"warning: skipping {salt.master.address}: {exc}")
                continue
            mine = [minion for minion in accepted if minion not in seen]
            seen.update(mine)
            plan.append((salt, mine))
        if not tolerant:
            self._plan = plan
        return plan

    def leave_out(self, minions: set[str]) -> None:
        """Take minions out of this command's plan (not targeted, or skipped)."""
        self._plan = [(salt, [m for m in mine if m not in minions])
                      for salt, mine in self.minions()]  # fmt: skip

    def unreachable_minions(self) -> list[str]:
        """The planned minions that do not answer a ping (a stale key, a stopped host)."""
        silent: list[str] = []
        for salt, minions in self.minions():
            alive = salt.alive(minions)
            silent += [minion for minion in minions if minion not in alive]
        return silent

    def update_masters(self, tolerant: bool = False) -> None:
        """Make every master see the release `current` points at (its file server, its
        custom modules), before any minion is refreshed: a multi-master minion's pillar
        refresh compiles its pillar on each of its masters."""
        for salt, _ in self.minions(tolerant):
            salt.update()

    def sync_back(self, minions: list[str]) -> None:
        """The masters updated, then `minions`' modules and pillar synced from what they
        serve now (an undo that re-applies nothing: an interrupt)."""
        self.update_masters(tolerant=True)
        for salt, mine in self.minions(tolerant=True):
            salt.refresh(sorted(salt.alive([m for m in mine if m in minions])))

    def rollout(
        self,
        size: int,
        applied: list[str],
        tolerant: bool = False,
        fence: Callable[[], None] | None = None,
        only: list[str] | None = None,
        tag: str = "",
    ) -> dict[str, str]:
        """Apply in batches, stopping at the first batch with a failure; returns the
        failures. Each batch's minions, and only they, get the release's modules and
        pillar just before their apply: a minion outside the batches reached sees none of
        it. `applied` collects every minion refreshed and sent a state.apply (sent with
        `tag`); `fence` runs before each batch (the lease still ours, or it raises);
        `only`: these minions (an undo re-applies those that ran the release)."""
        for salt, minions in self.minions(tolerant):
            if only is not None:
                minions = [minion for minion in minions if minion in only]
            planned = batches(minions, size)
            for number, batch in enumerate(planned, start=1):
                if fence is not None:
                    fence()
                busy = self._wait_while_busy(salt, batch)
                if busy:
                    self.console.say(
                        f"rollout stopped before batch {number}/{len(planned)}: "
                        + "; ".join(f"{self.name}/{minion}: {why}" for minion, why in busy.items())
                    )
                    return busy
                applied.extend(batch)
                runs = salt.apply(batch, tag=tag, refresh=True)
                failed = failures(runs)
                self._say_batch(number, len(planned), batch, runs, failed)
                if failed:
                    self.console.say(f"rollout stopped at batch {number}/{len(planned)}")
                    return failed
        return {}

    def _wait_while_busy(self, salt: SaltMaster, batch: list[str]) -> dict[str, str]:
        """Wait (up to promotion.busy_wait) for the batch's minions to finish the state
        jobs they run; those still busy then, each with its job: nothing of the batch
        has been changed."""
        wait = self.config.promotion.busy_wait
        deadline = time.monotonic() + wait
        busy = salt.busy(batch)
        if busy:
            self.console.say(f"waiting up to {wait}s for busy minions: " + "; ".join(
                f"{minion}: {jobs}" for minion, jobs in busy.items()))  # fmt: skip
        while busy and time.monotonic() < deadline:
            time.sleep(BUSY_POLL)
            busy = salt.busy(batch)
        return {
            minion: f"busy: {jobs} still running after {wait}s (nothing of its batch changed)"
            for minion, jobs in busy.items()
        }

    def _say_batch(
        self, number: int, total: int, batch: list[str], runs: MinionRuns, failed: dict[str, str]
    ) -> None:
        for minion in batch:
            run = runs.get(minion)
            verdict = failed.get(minion) or (
                "not targeted (the top file gives it nothing)"
                if run is not None and run.untargeted
                else f"ok ({len(run.changed) if run else 0} changed)"
            )
            self.console.say(f"batch {number}/{total} {self.name}/{minion}: {verdict}")


def _jobs(jobs: dict[str, list[str]]) -> str:
    return "; ".join(f"{minion}: {', '.join(names)}" for minion, names in sorted(jobs.items()))
