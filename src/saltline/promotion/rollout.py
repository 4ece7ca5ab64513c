"""Applying a release on an environment's minions: dry run, batches, verdicts.

Batching is done here, not with Salt's `--batch`: each batch is one
`salt -L m1,m2 state.apply`, and the rollout stops at the first batch in which a
minion failed or did not return. A dry run goes through the candidate master (see
`candidate`), so it sees the candidate release while every live command sees
`current`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from saltline.errors import MasterError, SaltOutputError
from saltline.promotion import candidate, master_modules, remote
from saltline.promotion.transport import Transport
from saltline.salt_results import (
    JOB_TAG,
    ApplyRun,
    accepted_minions,
    describe_failure,
    parse_apply,
    parse_minion_returns,
    ping_answers,
    running_jobs,
    scheduled_state_jobs,
    unloadable_module,
    waits_only_for,
)

MinionRuns = dict[str, ApplyRun | None]
T = TypeVar("T")
NOT_CANDIDATE = "not tested against the candidate: "  # a dry run the live master answered


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
    """Why each failed minion failed: no return, a render error, or failing states (a
    minion the top file gives nothing, `untargeted`, has not failed)."""
    reasons = {}
    for minion, run in runs.items():
        if run is not None and run.untargeted:
            continue
        if run is None:
            reasons[minion] = "did not return (down or disconnected)"
        elif run.errors:
            reasons[minion] = "; ".join(run.errors)
        elif run.failed:
            reasons[minion] = "; ".join(describe_failure(state) for state in run.failed)
    return reasons


@dataclass
class Prediction:
    """What a dry run says of one minion, a line each."""

    changes: list[str] = field(default_factory=list)  # state IDs that would change
    failures: list[str] = field(default_factory=list)  # states that would fail, and why
    after_install: list[str] = field(default_factory=list)  # modules that load only later
    error: str | None = None  # no return, or the highstate did not render
    untargeted: bool = False  # the release's top file gives it nothing: not a target

    @property
    def fails(self) -> bool:
        return bool(self.failures) or self.error is not None


def predict(run: ApplyRun | None) -> Prediction:
    """Classify a test=True run: a state whose module loads only once the highstate has
    installed its package (and what waits only for it) is not a predicted failure."""
    if run is None:
        return Prediction(error="did not return (down or disconnected)")
    if run.errors and run.errors[0].startswith(NOT_CANDIDATE):
        return Prediction(error=run.errors[0])
    if run.errors:
        return Prediction(error="the highstate did not render: " + _first_line(run.errors[0]))
    if run.untargeted:
        return Prediction(untargeted=True)
    later = {s.state_id: module for s in run.failed if (module := unloadable_module(s))}
    prediction = Prediction(
        changes=[s.state_id for s in run.states if s.result is None or s.changed]
    )
    for state in run.failed:
        if state.state_id in later:
            prediction.after_install.append(f"{state.state_id} ({later[state.state_id]})")
        elif not waits_only_for(state, set(later)):
            prediction.failures.append(f"{state.state_id}: {_first_line(state.comment)}")
    return prediction


def _first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "(no comment)")


@dataclass(frozen=True)
class SaltMaster:
    """Salt commands on a master, with JSON output."""

    master: Transport
    timeout: int
    ping_timeout: int = 5  # seconds a liveness ping waits (promotion.ping_timeout)

    def _salt(self, *args: str) -> str:
        done = self.master.run(
            ["salt", "--out=json", "--static", f"--timeout={self.timeout}", *args]
        )
        return done.stdout

    def minions(self) -> list[str]:
        """The minions whose keys the master has accepted."""
        return accepted_minions(self.master.check(["salt-key", "-L", "--out=json"]).stdout)

    def alive(self, minions: list[str]) -> set[str]:
        """Which of `minions` answer a ping now. Pinging first makes a down minion cost
        seconds (`ping_timeout` plus the master's gather_job_timeout), not a whole `timeout`.
        Only these are pinged, not every minion of the master (as Salt's `manage.up` would;
        its list targeting counts a minion without a connection as up)."""
        if not minions:
            return set()
        return self._ask(ping_answers, minions, "test.ping") & set(minions)

    def _quick(self, minions: list[str], *function: str) -> str:
        """A short function on `minions`, answered within the ping timeout."""
        done = self.master.run(
            ["salt", "--out=json", "--static", f"--timeout={self.ping_timeout}",
             "-L", ",".join(minions), *function]
        )  # fmt: skip
        return done.stdout

    def _ask(self, parse: Callable[[str], T], minions: list[str], *function: str) -> T:
        """`_quick`'s output parsed; what does not parse names this master."""
        try:
            return parse(self._quick(minions, *function))
        except SaltOutputError as exc:
            raise SaltOutputError(f"master {self.master.address}: {exc}") from None

    def _jobs(self, minions: list[str]) -> dict[str, list[dict[str, str]]]:
        return self._ask(running_jobs, minions, "saltutil.running")

    def busy(self, minions: list[str]) -> dict[str, str]:
        """Which of `minions` run a state job now (a scheduled highstate, an async
        state.apply), each with the job: Salt allows one at a time, and an apply sent
        meanwhile fails with "The function state.apply is running"."""
        if not minions:
            return {}
        busy = {}
        for minion, running in self._jobs(minions).items():
            states = [job for job in running if job["fun"].startswith("state.")]
            if minion in minions and states:
                busy[minion] = ", ".join(f"{job['fun']} (job {job['jid']})" for job in states)
        return busy

    def _answers(
        self, ask: Callable[[list[str]], dict[str, T]], minions: list[str], tries: int = 3
    ) -> dict[str, T]:
        """`ask`ed of `minions` until each answered, `tries` times at most: a minion busy
        applying a highstate may miss a ping timeout's answer."""
        answers: dict[str, T] = {}
        for _ in range(tries):
            waiting = [minion for minion in minions if minion not in answers]
            if not waiting:
                break
            answers.update(ask(waiting))
        return answers

    def kill_tagged(self, minions: list[str], tag: str) -> dict[str, list[str]]:
        """Kill the jobs sent with `tag` still running on `minions` (saltutil.kill_job,
        one command per job: a job is one jid on all its minions); the jids killed, by
        minion."""
        if not minions:
            return {}
        tagged: dict[str, list[str]] = {}
        for minion, running in self._answers(self._jobs, minions).items():
            for job in running:
                if minion in minions and job["tag"] == tag:
                    tagged.setdefault(job["jid"], []).append(minion)
        killed: dict[str, list[str]] = {}
        for jid, on in sorted(tagged.items()):
            self._quick(on, "saltutil.kill_job", jid)
            for minion in on:
                killed.setdefault(minion, []).append(jid)
        return killed

    def scheduled_highstates(self, minions: list[str]) -> dict[str, list[str]]:
        """The enabled schedule jobs of `minions` that apply states, by minion."""
        if not minions:
            return {}
        return self._ask(scheduled_state_jobs, minions, "schedule.list", "return_yaml=False")

    def set_schedule_jobs(self, jobs: dict[str, list[str]], enabled: bool) -> None:
        """Enable or disable schedule jobs, in the minions' memory only (persist=False: a
        minion that restarts has its own schedule back), one command per job name."""
        by_name: dict[str, list[str]] = {}
        for minion, names in jobs.items():
            for name in names:
                by_name.setdefault(name, []).append(minion)
        function = "schedule.enable_job" if enabled else "schedule.disable_job"
        for name, minions in sorted(by_name.items()):
            self._quick(sorted(minions), function, name, "persist=False")

    def update(self) -> None:
        """Make the master see the release `current` points at: its files and its custom
        modules (`master_modules`)."""
        done = self.master.run(["sh", "-c", master_modules.LIVE_REFRESH])
        if done.exit_code != 0:
            raise MasterError(
                self.master.address,
                "could not sync the release's custom modules (salt-run saltutil.sync_all): "
                + done.tail(),
            )

    def refresh(self, minions: list[str]) -> None:
        """Make the minions see the release's pillar and modules."""
        if minions:
            # Two functions in one job (Salt's compound call syntax: a comma-separated list).
            self._salt("-L", ",".join(minions), "saltutil.sync_all,saltutil.refresh_pillar", ",")

    def apply(
        self, minions: list[str], test: bool = False, tag: str = "", refresh: bool = False
    ) -> MinionRuns:
        """state.apply (`test`: test=True, for drift) of what the master serves now, on the
        minions that answer a ping (`refresh`: their modules and pillar synced first); the
        others did not return. `tag` goes with the job (`saltline_job=TAG`, an argument
        Salt ignores), so that an undo finds and kills it (`kill_tagged`)."""
        reachable = self._reachable(minions)
        runs: MinionRuns = {minion: None for minion in minions}
        if reachable:
            if refresh:
                self.refresh(reachable)
            flags = ["test=True"] if test else []
            if tag:
                flags.append(f"{JOB_TAG}={tag}")
            stdout = self._salt("-L", ",".join(reachable), "state.apply", *flags)
            runs.update(parse_minion_returns(stdout, reachable))
        return runs

    def test_candidate(self, minions: list[str], port: int, token: str) -> MinionRuns:
        """state.apply test=True on each minion against the candidate master on `port`
        (which serves `token`: a minion that reads back another fails by name)."""
        reachable = self._reachable(minions)
        runs: MinionRuns = {minion: None for minion in minions}
        if not reachable:
            return runs
        stdout = self._salt("-L", ",".join(reachable), "cmd.run_all",
                            candidate.minion_command(port, token))  # fmt: skip
        try:
            returns = json.loads(stdout) if stdout.strip() else {}
        except json.JSONDecodeError:
            raise SaltOutputError(
                f"master {self.master.address}: salt did not print JSON: {stdout.strip()[-300:]}"
            ) from None
        for minion in reachable:
            ret = returns.get(minion) if isinstance(returns, dict) else None
            if isinstance(ret, dict) and ret.get("retcode") == remote.Exit.NOT_CANDIDATE:
                runs[minion] = ApplyRun(errors=[NOT_CANDIDATE + str(ret.get("stderr")).strip()])
            elif isinstance(ret, dict) and isinstance(ret.get("stdout"), str):
                try:
                    runs[minion] = parse_apply(ret["stdout"])
                except SaltOutputError:
                    detail = (ret.get("stderr") or ret["stdout"]).strip()[-300:]
                    runs[minion] = ApplyRun(errors=[f"salt-call against the candidate: {detail}"])
        return runs

    def _reachable(self, minions: list[str]) -> list[str]:
        alive = self.alive(minions)
        return [minion for minion in minions if minion in alive]
