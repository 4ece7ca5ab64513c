"""Scheduled highstates paused while a promotion or rollback runs.

A minion whose own schedule applies states (a highstate every 30 minutes, say) would
pick up a switched release on its timer, before its batch, or apply the new release
after an undo has begun. So before the switch, the enabled schedule jobs that apply
states (`state.apply`, `state.highstate`, `state.sls`, `state.top`) on the command's
minions are disabled, and enabled again when the command ends, whatever its outcome.

They are disabled in the minions' memory only (`persist=False`): a minion that restarts
runs its own schedule again. The list is written on the master before any job is
disabled, so the next command that takes the lease (after a kill) or `saltline unlock`
enables them again. A job defined in pillar comes back with a pillar refresh, so on a
batch's minions it runs again from their batch on (the release they just applied).
"""

from __future__ import annotations

from saltline.promotion.release import ReleaseStore
from saltline.promotion.rollout import SaltMaster


def pause(store: ReleaseStore, salt: SaltMaster, minions: list[str]) -> dict[str, list[str]]:
    """Disable the state jobs of `minions`' schedules, recorded on the master first (with
    any a killed command left); the jobs disabled, by minion."""
    jobs = {minion: names for minion, names in salt.scheduled_highstates(minions).items()
            if names and minion in minions}  # fmt: skip
    if jobs:
        store.put_paused({**store.paused(), **jobs})
        salt.set_schedule_jobs(jobs, enabled=False)
    return jobs


def resume(store: ReleaseStore, salt: SaltMaster) -> dict[str, list[str]]:
    """Enable again every job recorded as paused on the master, then forget them; the
    jobs enabled, by minion (a minion that does not answer has its own schedule back
    once it restarts)."""
    jobs = store.paused()
    if jobs:
        salt.set_schedule_jobs(jobs, enabled=True)
        store.clear_paused()
    return jobs
