"""`saltline status` and `saltline drift`: what each master serves, and what has drifted.

Status tells the truth after any failure: the release each master serves, whether its
rollout finished, the releases withdrawn there, a split between masters, a candidate
master still running, the minions a rollout skipped, and who holds the deploy lease
and for how long. A master that
cannot be reached is named, the others reported all the same (exit 1).
"""

from __future__ import annotations

from saltline.config import Config
from saltline.console import Console
from saltline.promotion import candidate, lease
from saltline.promotion.environment import Connect, Environment
from saltline.promotion.rollout import would_change


def status(config: Config, name: str | None, connect: Connect, console: Console) -> int:
    names = [name] if name else list(config.promotion_order)
    unreachable = False
    for env_name in names:
        environment = Environment(config, env_name, connect, console, skip_unreachable=True)
        for address, why in environment.unreachable.items():
            console.say(f"{env_name} {address}: UNREACHABLE ({why}); the others below")
            unreachable = True
        serving = {}
        for store in environment.stores:
            where = f"{env_name} {store.master.address}"
            sha = store.current()
            serving[str(store.master.address)] = sha
            if sha is None:
                console.say(f"{where}: no release yet")
            elif record := store.rollout_of(sha):
                console.say(
                    f"{where}: {sha[:12]} rolled out {record.get('time', '?')} by "
                    f"{record.get('by', '?')} from {record.get('pipeline', '?')}"
                )
                if skipped := record.get("skipped"):
                    console.say(
                        f"{where}: BEHIND {sha[:12]}: {', '.join(skipped)} (skipped: they did "
                        f"not answer during its rollout); once they do, `saltline promote "
                        f"{env_name} {sha[:12]}` catches them up"
                    )
            else:
                console.say(
                    f"{where}: {sha[:12]} NOT rolled out (a promotion or rollback did not "
                    f"finish); `saltline rollback {env_name}` returns to the last release "
                    "rolled out everywhere"
                )
            withdrawn = store.withdrawn()
            if withdrawn:
                console.say(
                    f"{where}: withdrawn (rolled back from, or undone; they count as reached "
                    f"nowhere): {', '.join(w[:12] for w in withdrawn[-5:])}"
                )
            if candidate.running(store.master):
                console.say(
                    f"{where}: a candidate master is still running (a dry run that did not "
                    "finish: killed?); it stops by itself, or at the next dry run"
                )
            if paused := store.paused():
                jobs = "; ".join(f"{m}: {', '.join(n)}" for m, n in sorted(paused.items()))
                console.say(
                    f"{where}: scheduled state jobs paused by a promotion or rollback: {jobs} "
                    "(the next one that takes the lease, or `saltline unlock`, resumes them)"
                )
            held, holder = lease.read_holder(store)
            if held:
                who = holder.describe() if holder else "an owner that cannot be read"
                console.say(f"{where}: deploy lease held by {who}")
        if len(set(serving.values())) > 1:
            console.say(
                f"{env_name}: SPLIT, masters serve different releases; "
                f"`saltline promote {env_name} <REV>` or `saltline rollback {env_name}` "
                "makes them one again"
            )
    return 1 if unreachable else 0


def drift(config: Config, name: str, connect: Connect, console: Console) -> int:
    """test=True of what the masters serve now: which states differ on which minion."""
    environment = Environment(config, name, connect, console)
    drifted = False
    for salt, minions in environment.minions():
        runs = salt.apply(minions, test=True)
        for minion, run in sorted(runs.items()):
            if run is None:
                console.say(f"dry run {name}/{minion}: did not return (down or disconnected)")
                drifted = True
        for minion, state_ids in sorted(would_change(runs).items()):
            drifted = drifted or bool(state_ids)
            summary = ", ".join(state_ids) if state_ids else "no changes"
            console.say(f"dry run {name}/{minion}: {summary}")
    return 1 if drifted else 0
