"""Applying a release on an environment's minions: dry run, batches, verdicts.

Batching is done here, not with Salt's `--batch`: each batch is one
`salt -L m1,m2 state.apply`, and the rollout stops at the first batch in which a
minion failed or did not return.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from saltline.errors import SaltlineError
from saltline.promotion.transport import Transport
from saltline.salt_results import (
    ApplyRun,
    accepted_minions,
    describe_failure,
    parse_minion_returns,
)

MinionRuns = dict[str, ApplyRun | None]
PING_TIMEOUT = 5


def batches(minions: list[str], size: int) -> list[list[str]]:
    """Minions in order, `size` at a time."""
    return [minions[i : i + size] for i in range(0, len(minions), size)]


def would_change(runs: MinionRuns) -> dict[str, list[str]]:
    """From a `test=True` apply: the state IDs that would change, per minion."""
    return {
        minion: [s.state_id for s in run.states if s.result is None or s.changed]
        for minion, run in runs.items()
        if run is not None
    }


def failures(runs: MinionRuns) -> dict[str, str]:
    """Why each failed minion failed: no return, a render error, or failing states."""
    reasons = {}
    for minion, run in runs.items():
        if run is None:
            reasons[minion] = "did not return (down or disconnected)"
        elif run.errors:
            reasons[minion] = "; ".join(run.errors)
        elif run.failed:
            reasons[minion] = "; ".join(describe_failure(state) for state in run.failed)
    return reasons


@dataclass(frozen=True)
class SaltMaster:
    """Salt commands on a master, with JSON output."""

    master: Transport
    timeout: int

    def _salt(self, *args: str) -> str:
        done = self.master.run(
            ["salt", "--out=json", "--static", f"--timeout={self.timeout}", *args]
        )
        return done.stdout

    def minions(self) -> list[str]:
        """The minions whose keys the master has accepted."""
        done = self.master.run(["salt-key", "-L", "--out=json"])
        if done.exit_code != 0:
            raise SaltlineError(
                f"master {self.master.address}: salt-key failed: {done.stderr.strip()}"
            )
        return accepted_minions(done.stdout)

    def alive(self) -> set[str]:
        """The minions that answer a ping now (seconds, where a down minion costs a timeout)."""
        done = self.master.run(
            [
                "salt-run",
                "--out=json",
                "manage.up",
                f"timeout={PING_TIMEOUT}",
                "gather_job_timeout=3",
            ]
        )
        try:
            return set(json.loads(done.stdout or "[]"))
        except json.JSONDecodeError:
            raise SaltlineError(
                f"master {self.master.address}: manage.up: {done.stdout[-300:]}"
            ) from None

    def refresh(self, minions: list[str]) -> None:
        """Make the master see the new release, and the minions its pillar and modules."""
        self.master.run(["salt-run", "--out=json", "fileserver.update"])
        if minions:
            # Two functions in one job (Salt's compound call syntax: a comma-separated list).
            self._salt("-L", ",".join(minions), "saltutil.sync_all,saltutil.refresh_pillar", ",")

    def apply(self, minions: list[str], test: bool = False) -> MinionRuns:
        """state.apply on the minions that answer a ping; the others did not return."""
        alive = self.alive()
        reachable = [minion for minion in minions if minion in alive]
        runs: MinionRuns = {minion: None for minion in minions}
        if reachable:
            args = ["-L", ",".join(reachable), "state.apply"] + (["test=True"] if test else [])
            runs.update(parse_minion_returns(self._salt(*args), reachable))
        return runs
