"""`saltline promote|rollback|status|drift`: tested commits onto an environment's masters.

    saltline promote staging            # HEAD, after a recorded pass
    saltline promote prod 3f2a9c1       # only once 3f2a9c1 has reached staging
    saltline rollback prod

Exit codes: 0 done; 1 refused (gate, lock) or a failed rollout; 2 bad input (unknown
environment, bad REV, unreachable master), with nothing changed on any master.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docker

from saltline.config import Config
from saltline.console import Console
from saltline.errors import GitError, LockHeld, SaltlineError
from saltline.promotion import audit, gate, git
from saltline.promotion.release import ReleaseStore
from saltline.promotion.rollout import SaltMaster, batches, failures, would_change
from saltline.promotion.transport import Transport, open_transport

RELEASE_PATHS = ["salt", "pillar"]
Connect = Callable[[], docker.DockerClient]


@dataclass(frozen=True)
class PromoteOptions:
    environment: str
    rev: str = "HEAD"
    dry_run: bool = False
    batch_size: int | None = None
    force: bool = False
    reason: str | None = None
    reports_dir: Path | None = None


class Environment:
    """The masters of one environment, reached and checked before anything changes."""

    def __init__(self, config: Config, name: str, connect: Connect):
        if name not in config.environments:
            declared = ", ".join(config.environments)
            raise SaltlineError(
                f"{config.path}: no environment named {name!r}; declared: {declared}"
            )
        addresses = config.masters.get(name, ())
        if not addresses:
            raise SaltlineError(f"{config.path}: environment {name!r} has no masters to promote to")
        client = connect() if any(a.scheme == "docker" for a in addresses) else None
        self.name = name
        self.masters: list[Transport] = [open_transport(a, client) for a in addresses]
        self.stores = [ReleaseStore(master) for master in self.masters]
        self.salts = [SaltMaster(master, config.promotion.timeout) for master in self.masters]


def promote(config: Config, options: PromoteOptions, connect: Connect, console: Console) -> int:
    root = config.root
    if options.force and not options.reason:
        raise SaltlineError('--force needs --reason "why this override is safe" (it is audited)')
    environment = Environment(config, options.environment, connect)
    sha = git.resolve(root, options.rev)
    refusals = _refusals(config, options, sha, connect, console)
    log = _Audit(root, environment)
    if refusals and not options.force:
        log("promote", sha, "refused", reasons=refusals)
        for reason in refusals:
            console.say(f"refused: {reason}")
        return 1
    if refusals:
        log("promote", sha, "override", reasons=refusals, reason=options.reason)
        console.say(f"override ({options.reason}): " + "; ".join(refusals))
    with _locked(environment, sha, log, "promote"):
        stamp = {
            "sha": sha, "tree": git.tree_of(root, sha), "environment": environment.name,
            **{k: v for k, v in audit.entry("promote", environment.name, sha, "").items()
               if k in ("time", "by", "pipeline")},
        }  # fmt: skip
        tar = git.archive(root, sha, RELEASE_PATHS)
        before = [store.current() for store in environment.stores]
        for store in environment.stores:
            store.upload(sha, tar, stamp)
            store.switch(sha, {**stamp, "action": "promote", "dry_run": options.dry_run})
            console.say(f"{store.master.address}: releases/{sha[:12]} is current")
        _refresh(environment)
        drifted = _dry_run(environment, console)
        if options.dry_run:
            for store, previous in zip(environment.stores, before, strict=True):
                if previous:
                    store.switch(previous, {"sha": previous, "action": "restore", "dry_run": True})
            _refresh(environment)
            log("promote", sha, "dry-run", would_change=drifted)
            return 0
        size = options.batch_size or config.promotion.batch_size
        failed = _rollout(environment, size, console)
        if failed:
            log("promote", sha, "failed", failures=failed)
            return 1
        for store in environment.stores:
            store.prune(config.promotion.keep_releases)
        log("promote", sha, "promoted", changed=drifted)
        console.say(f"promoted {sha[:12]} to {environment.name}")
        return 0


def rollback(
    config: Config, name: str, connect: Connect, console: Console, batch_size: int | None
) -> int:
    environment = Environment(config, name, connect)
    log = _Audit(config.root, environment)
    with _locked(environment, None, log, "rollback"):
        targets = [store.previous() for store in environment.stores]
        if None in targets:
            log("rollback", None, "refused", reasons=["no previous release"])
            console.say(f"refused: a master of {name} has no previous release to roll back to")
            return 1
        for store, sha in zip(environment.stores, targets, strict=True):
            assert sha is not None
            entry = audit.entry("rollback", name, sha, "switched")
            store.switch(
                sha, {"sha": sha, "action": "rollback", "time": entry["time"], "by": entry["by"]}
            )
            console.say(f"{store.master.address}: rolled back to releases/{sha[:12]}")
        _refresh(environment)
        failed = _rollout(environment, batch_size or config.promotion.batch_size, console)
        log("rollback", targets[0], "failed" if failed else "rolled-back", failures=failed)
        return 1 if failed else 0


def status(config: Config, name: str | None, connect: Connect, console: Console) -> int:
    names = [name] if name else list(config.promotion_order)
    for env_name in names:
        environment = Environment(config, env_name, connect)
        for store in environment.stores:
            sha = store.current()
            if sha is None:
                console.say(f"{env_name} {store.master.address}: no release yet")
                continue
            stamp = store.stamp(sha)
            console.say(
                f"{env_name} {store.master.address}: {sha[:12]} promoted {stamp.get('time', '?')} "
                f"by {stamp.get('by', '?')} from {stamp.get('pipeline', '?')}"
            )
    return 0


def drift(config: Config, name: str, connect: Connect, console: Console) -> int:
    environment = Environment(config, name, connect)
    drifted = _dry_run(environment, console)
    return 1 if any(drifted.values()) else 0


def _refusals(
    config: Config, options: PromoteOptions, sha: str, connect: Connect, console: Console
) -> list[str]:
    root = config.root
    reasons = []
    dirty = git.dirty_paths(root)
    if dirty:
        reasons.append(f"the working tree is dirty ({', '.join(dirty[:5])}); commit or stash first")
    reports = options.reports_dir or root / "reports"
    records, warnings = gate.passes(root, sha, reports)
    for warning in warnings:
        console.say(f"warning: {warning}")
    try:
        expected = gate.fingerprint(config, sha)
    except GitError as exc:
        reasons.append(f"{sha[:12]} cannot be checked against its passes: {exc}")
    else:
        if why := gate.verdict(records, expected):
            reasons.append(why)
    order = config.promotion_order
    position = order.index(options.environment)
    if position > 0:
        previous = Environment(config, order[position - 1], connect)
        if not all(store.has(sha) for store in previous.stores):
            reasons.append(f"{sha[:12]} has not reached {previous.name}; promote it there first")
    return reasons


class _Audit:
    """Appends each event to the local log and to every master's log."""

    def __init__(self, root: Path, environment: Environment):
        self.root = root
        self.environment = environment

    def __call__(self, action: str, sha: str | None, outcome: str, **details: Any) -> None:
        event = audit.entry(action, self.environment.name, sha, outcome, **details)
        audit.append_local(self.root, event)
        for store in self.environment.stores:
            store.audit(event)


class _locked:
    """Hold every master's deploy lock; a held lock refuses (and audits) the promotion."""

    def __init__(self, environment: Environment, sha: str | None, log: _Audit, action: str):
        self.environment, self.sha, self.log, self.action = environment, sha, log, action
        self.held: list[ReleaseStore] = []

    def __enter__(self) -> None:
        owner = audit.entry("lock", self.environment.name, self.sha, "held")
        try:
            for store in self.environment.stores:
                store.acquire_lock(owner)
                self.held.append(store)
        except LockHeld as exc:
            self.__exit__()
            self.log(self.action, self.sha, "refused", reasons=[str(exc)])
            raise

    def __exit__(self, *exc_info: object) -> None:
        for store in self.held:
            store.release_lock()
        self.held.clear()


def _refresh(environment: Environment) -> None:
    for salt in environment.salts:
        salt.refresh(sorted(salt.alive()))


def _dry_run(environment: Environment, console: Console) -> dict[str, list[str]]:
    """`test=True` on every minion; prints which state IDs would change where."""
    changes: dict[str, list[str]] = {}
    for salt in environment.salts:
        runs = salt.apply(salt.minions(), test=True)
        for minion, reason in failures(runs).items():
            console.say(f"dry run {environment.name}/{minion}: {reason}")
        for minion, state_ids in sorted(would_change(runs).items()):
            changes[minion] = state_ids
            summary = ", ".join(state_ids) if state_ids else "no changes"
            console.say(f"dry run {environment.name}/{minion}: {summary}")
    return changes


def _rollout(environment: Environment, size: int, console: Console) -> dict[str, str]:
    """Apply in batches, stopping at the first batch with a failure; returns the failures."""
    for salt in environment.salts:
        planned = batches(salt.minions(), size)
        for number, batch in enumerate(planned, start=1):
            runs = salt.apply(batch)
            failed = failures(runs)
            for minion in batch:
                run = runs.get(minion)
                verdict = failed.get(minion) or f"ok ({len(run.changed) if run else 0} changed)"
                console.say(f"batch {number}/{len(planned)} {environment.name}/{minion}: {verdict}")
            if failed:
                console.say(f"rollout stopped at batch {number}/{len(planned)}")
                return failed
    return {}
