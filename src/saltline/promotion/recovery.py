"""`saltline rollback` and `saltline unlock`: bring an environment back to a known state.

saltline rollback prod                       # the release rolled out before this one
saltline unlock prod --reason "CI job killed" # break a stale deploy lease, audited

After an unfinished promotion (killed, or a master lost mid-way) the masters may be
split or serve a release whose rollout never finished: rollback then returns every
master to the last release rolled out on all of them.
"""

from __future__ import annotations

from typing import Any

from saltline.config import Config
from saltline.console import Console
from saltline.errors import SaltlineError
from saltline.promotion import audit, lease, signing
from saltline.promotion.environment import Connect, Environment
from saltline.promotion.release import ReleaseStore


def rollback(
    config: Config, name: str, connect: Connect, console: Console, batch_size: int | None
) -> int:
    """Every master back to the release rolled out before the current one, re-applied."""
    environment = Environment(config, name, connect, console)
    with environment.leased("rollback", None):
        targets = rollback_targets(environment.stores)
        if None in targets.values() or len(set(targets.values())) != 1:
            reason = (
                "no previous release" if None in targets.values()
                else "the masters disagree on the previous release: "
                + ", ".join(f"{a}: {s and s[:12]}" for a, s in targets.items())
            )  # fmt: skip
            environment.log("rollback", None, "refused", reasons=[reason])
            console.say(f"refused: {name}: {reason}")
            return 1
        sha = next(iter(targets.values()))
        assert sha is not None
        entry = {"action": "rollback", **audit.who()}
        digest = str(environment.stores[0].stamp(sha).get("digest", ""))
        # signed before anything changes: a key that cannot sign refuses the rollback here
        signed = signing.rollout_record(sha, digest, name, audit.utc_timestamp(),
                                        config.signing_key)  # fmt: skip
        skipped = _skip_unreachable(environment) if config.promotion.unreachable == "skip" else []
        with environment.schedules_paused():
            return _switch_back(environment, sha, entry, signed, skipped, batch_size)


def _switch_back(
    environment: Environment,
    sha: str,
    entry: dict[str, Any],
    signed: dict[str, Any],
    skipped: list[str],
    batch_size: int | None,
) -> int:
    """Every master to `sha`, what they left withdrawn, the minions re-applied."""
    console = environment.console
    switched = []
    before = {str(store.master.address): store.current() for store in environment.stores}
    try:
        for store in environment.stores:
            switched.append(store)  # before: an interrupted switch may have happened
            store.switch(sha, entry)
            console.say(f"{store.master.address}: rolled back to releases/{sha[:12]}")
    except (SaltlineError, KeyboardInterrupt) as exc:
        for store in switched:
            store.restore(before[str(store.master.address)], {"action": "restore"})
        environment.log("rollback", sha, "failed", error=str(exc) or "interrupted")
        raise
    # What the environment left no longer counts as reached, nor as a rollback target
    for store in environment.stores:
        left = before[str(store.master.address)]
        if left and left != sha:
            store.withdraw(left, {**entry, "rolled_back_to": sha})
            console.say(f"{store.master.address}: releases/{left[:12]} withdrawn")
    environment.update_masters()
    applied: list[str] = []
    size = batch_size or environment.config.promotion.batch_size
    failed = environment.rollout(size, applied)
    left_out = {"skipped": skipped} if skipped else {}
    if failed:
        environment.log("rollback", sha, "failed", failures=failed, applied=applied, **left_out)
        return 1
    for store in environment.stores:
        store.mark_rolled_out(sha, {"action": "rollback", **audit.who(), **signed, **left_out})
    environment.log("rollback", sha, "rolled-back", applied=applied, **left_out)
    return 0


def _skip_unreachable(environment: Environment) -> list[str]:
    """promotion.unreachable: skip: the minions that do not answer, left out, named."""
    silent = environment.unreachable_minions()
    if silent:
        environment.leave_out(set(silent))
        environment.console.say(
            "skipped (promotion.unreachable: skip): "
            + ", ".join(f"{environment.name}/{minion}" for minion in silent)
            + " did not answer a ping; they stay on the release they have"
        )
    return silent


def rollback_targets(stores: list[ReleaseStore]) -> dict[str, str | None]:
    """Per master, the release to return to: the one before the current release when the
    environment is whole and rolled out; otherwise the last one rolled out everywhere."""
    currents = {store.current() for store in stores}
    lasts = [store.last_rolled_out() for store in stores]
    if len(currents) == 1 and None not in currents and set(lasts) == currents:
        return {str(store.master.address): store.previous() for store in stores}
    everywhere = [
        sha for sha in stores[0].rolled_out_newest_first()
        if all(store.reached(sha) and store.has(sha) for store in stores)
    ]  # fmt: skip
    return {str(store.master.address): everywhere[0] if everywhere else None for store in stores}


def unlock(config: Config, name: str, reason: str, connect: Connect, console: Console) -> int:
    """Break the deploy lease on every master of an environment, naming who held it."""
    if not reason.strip():
        raise SaltlineError('unlock needs --reason "why the lease is stale" (it is audited)')
    environment = Environment(config, name, connect, console)
    broken = []
    for store in environment.stores:
        held, holder = lease.read_holder(store)
        if not held:
            console.say(f"{store.master.address}: not locked")
            continue
        lease.break_lease(store, holder)
        who = holder.describe() if holder else "an owner that cannot be read"
        broken.append({"master": str(store.master.address),
                       "holder": holder.__dict__ if holder else None})  # fmt: skip
        console.say(f"{store.master.address}: broke the lease held by {who}")
    environment.log("unlock", None, "unlocked" if broken else "nothing-locked", broken=broken,
                    reason=reason)  # fmt: skip
    if resumed := environment.resume_schedules():  # what the lease's holder had paused
        environment.log("unlock", None, "schedules-resumed", jobs=resumed)
    return 0
