"""Parse the JSON that `salt-call --out=json state.apply` prints. Pure functions, no I/O.

>>> run = parse_apply('{"local": {"service_|-nginx-service-running_|-nginx_|-running": '
...     '{"result": false, "comment": "not found", "changes": {}, "__sls__": "nginx.service"}}}')
>>> [s.state_id for s in run.failed]
['nginx-service-running']
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from saltline.errors import SaltOutputError


@dataclass(frozen=True)
class StateResult:
    """One state of a highstate run, as Salt reported it."""

    state_id: str
    function: str  # e.g. "pkg.installed"
    name: str
    sls: str
    result: bool | None  # None: would change (test=True)
    changes: dict[str, Any]
    comment: str
    duration_ms: float
    run_num: int

    @property
    def changed(self) -> bool:
        return bool(self.changes)

    @property
    def label(self) -> str:
        return f"{self.sls}: {self.state_id} ({self.function})"


NO_TOP_MATCH = "No Top file or master_tops data matches found"


@dataclass(frozen=True)
class ApplyRun:
    """A whole `state.apply`: its states in execution order, or the errors that stopped it."""

    states: list[StateResult] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # render/compile errors: nothing ran

    @property
    def failed(self) -> list[StateResult]:
        return [s for s in self.states if s.result is False]

    @property
    def changed(self) -> list[StateResult]:
        return [s for s in self.states if s.changed]

    @property
    def ok(self) -> bool:
        return not self.errors and not self.failed

    @property
    def untargeted(self) -> bool:
        """Salt's answer for a minion the top file gives nothing to apply (the master's own
        minion, another team's machines): not a failure, not a target.

        >>> nothing = StateResult("states", "no.None", "states", "", False, {},
        ...     "No Top file or master_tops data matches found. Please see master log.", 0, 0)
        >>> ApplyRun(states=[nothing]).untargeted
        True
        """
        return (
            len(self.states) == 1
            and self.states[0].state_id == "states"
            and NO_TOP_MATCH in self.states[0].comment
        )


def parse_apply(stdout: str, stderr: str = "", exit_code: int | None = None) -> ApplyRun:
    """Parse the stdout of `salt-call --local --out=json state.apply`; when it is not
    JSON, the error shows what salt-call said instead (and how it exited, if known)."""
    try:
        document = json.loads(stdout)
    except json.JSONDecodeError as exc:
        said = stdout.strip()[-500:] or stderr.strip()[-500:] or "(no output)"
        exited = "" if exit_code is None else f", exit code {exit_code}"
        raise SaltOutputError(f"salt-call did not print JSON ({exc.msg}{exited}): {said}") from None
    if not isinstance(document, dict) or len(document) != 1:
        raise SaltOutputError(f"expected one minion's return, got: {str(document)[:300]}")
    return parse_return(next(iter(document.values())))


def parse_minion_returns(stdout: str, expected: list[str]) -> dict[str, ApplyRun | None]:
    """`salt --out=json --static TARGET state.apply` on a master: each expected minion's run.

    A minion that did not return (down, disconnected) maps to None.
    """
    try:
        document = json.loads(stdout) if stdout.strip() else {}
    except json.JSONDecodeError as exc:
        raise SaltOutputError(
            f"salt did not print JSON ({exc.msg}): {stdout.strip()[-500:]}"
        ) from None
    if not isinstance(document, dict):
        raise SaltOutputError(f"expected returns by minion, got: {str(document)[:300]}")
    runs: dict[str, ApplyRun | None] = {}
    for minion in expected:
        ret = document.get(minion)
        did_not_return = ret is None or (isinstance(ret, str) and "did not return" in ret)
        if ret == {}:  # a highstate always has states (or "no top file matches"): cut short
            runs[minion] = ApplyRun(errors=["returned no state results (stopped mid-run?)"])
        else:
            runs[minion] = None if did_not_return else parse_return(ret)
    return runs


def accepted_minions(stdout: str) -> list[str]:
    """`salt-key -L --out=json`: the minions whose keys are accepted, sorted."""
    document = _json_document(stdout, "salt-key")
    minions = document.get("minions", []) if isinstance(document, dict) else None
    if not isinstance(minions, list):
        raise SaltOutputError(f"salt-key: expected key lists, got: {stdout.strip()[:300]}")
    return sorted(str(minion) for minion in minions)


NO_MINION_MATCHED = "No minions matched the target"  # Salt's words, instead of JSON


def ping_answers(stdout: str) -> set[str]:
    """`salt --out=json --static TARGET test.ping`: the minions that answered True (none
    when no minion matched the target); SaltOutputError when Salt printed anything else.

    >>> sorted(ping_answers('{"web1": true, "db1": "Minion did not return. [No response]"}'))
    ['web1']
    >>> ping_answers("No minions matched the target. No command was sent, no jid was assigned.")
    set()
    """
    if stdout.startswith(NO_MINION_MATCHED):
        return set()
    document = _json_document(stdout.strip() or "{}", "test.ping")
    if not isinstance(document, dict):
        raise SaltOutputError(f"test.ping: expected minion answers, got: {stdout.strip()[:300]}")
    return {str(minion) for minion, answer in document.items() if answer is True}


def answered_ping(stdout: str) -> list[str]:
    """`ping_answers`, sorted, for waiting on a fleet: anything else (no output yet, a
    master still starting) means nobody answered."""
    try:
        return sorted(ping_answers(stdout))
    except SaltOutputError:
        return []


def _json_document(stdout: str, command: str) -> Any:
    try:
        return json.loads(stdout)
    except json.JSONDecodeError as exc:
        excerpt = stdout.strip()[-300:] or "(no output)"
        raise SaltOutputError(f"{command} did not print JSON ({exc.msg}): {excerpt}") from None


def parse_return(ret: Any) -> ApplyRun:
    """One minion's state.apply return, already decoded from JSON."""
    if isinstance(ret, list):  # Salt reports render and compile errors as a list of strings
        return ApplyRun(errors=[str(item) for item in ret])
    if isinstance(ret, str):
        return ApplyRun(errors=[ret])
    if not isinstance(ret, dict):
        raise SaltOutputError(f"unexpected state.apply return: {str(ret)[:300]}")
    states = [_state(tag, body) for tag, body in ret.items()]
    return ApplyRun(states=sorted(states, key=lambda s: s.run_num))


def _state(tag: str, body: dict[str, Any]) -> StateResult:
    # A tag is "<module>_|-<id>_|-<name>_|-<function>".
    parts = tag.split("_|-")
    module, function = (parts[0], parts[-1]) if len(parts) == 4 else ("?", "?")
    changes = body.get("changes") or {}
    return StateResult(
        state_id=str(body.get("__id__", parts[1] if len(parts) == 4 else tag)),
        function=f"{module}.{function}",
        name=str(body.get("name", "")),
        sls=str(body.get("__sls__", "?")),
        result=body.get("result"),
        changes=changes if isinstance(changes, dict) else {"changes": changes},
        comment=_comment(body.get("comment", "")),
        duration_ms=float(body.get("duration") or 0.0),
        run_num=int(body.get("__run_num__", 0)),
    )


def _comment(comment: Any) -> str:
    if isinstance(comment, list):
        return "\n".join(str(line) for line in comment)
    return str(comment)


# A state module whose __virtual__ needs software the highstate installs first (e.g.
# postgres_user needs psql): it exists, and loads once its package is in place.
_UNLOADABLE = re.compile(
    r"^State '(?P<function>[^']+)' was not found in SLS .* __virtual__ returned False", re.S
)
_REQUISITE_FAILED = re.compile(r"^One or more requisite failed: (?P<names>.+?)\s*$", re.S)


def unloadable_module(state: StateResult) -> str | None:
    """`ssh_auth.present` when the state failed only because its module cannot load yet."""
    match = _UNLOADABLE.search(state.comment) if state.result is False else None
    return match["function"] if match else None


def waits_only_for(state: StateResult, state_ids: set[str]) -> bool:
    """A requisite failure caused only by the states named (by ID)."""
    if state.result is not False or not state_ids:
        return False
    match = _REQUISITE_FAILED.match(state.comment)
    if not match:
        return False
    return all(name.rsplit(".", 1)[-1] in state_ids for name in match["names"].split(", "))


def not_idempotent(second: ApplyRun) -> list[StateResult]:
    """States whose second apply still reported changes (or failed): the idempotence verdict."""
    return [s for s in second.states if s.changed or s.result is False]


def describe_failure(state: StateResult) -> str:
    """One paragraph naming the state ID, its SLS and Salt's comment."""
    return f"state {state.state_id!r} ({state.function}) in SLS {state.sls} failed: {state.comment}"


def describe_changes(state: StateResult) -> str:
    keys = ", ".join(sorted(state.changes)) or "(none)"
    return f"state {state.state_id!r} ({state.function}) in SLS {state.sls} changed again: {keys}"


def running_jobs(stdout: str) -> dict[str, list[dict[str, str]]]:
    """`salt --out=json … saltutil.running`: each answering minion's running jobs (their
    function, jid, and the tag a promotion sent them with, `saltline_job=TAG`: see
    `JOB_TAG`); a minion that did not answer is left out.

    >>> running_jobs('{"web1": [{"fun": "state.apply", "jid": "20261207", "arg": '
    ...              '[{"__kwarg__": true, "saltline_job": "t1"}]}], "db1": []}')
    {'web1': [{'fun': 'state.apply', 'jid': '20261207', 'tag': 't1'}], 'db1': []}
    """
    document = _json_document(stdout.strip() or "{}", "saltutil.running")
    if not isinstance(document, dict):
        raise SaltOutputError(f"saltutil.running: expected jobs by minion, got: {stdout[:300]}")
    return {
        str(minion): [
            {"fun": str(job.get("fun", "?")), "jid": str(job.get("jid", "?")), "tag": _tag(job)}
            for job in jobs
            if isinstance(job, dict)
        ]
        for minion, jobs in document.items()
        if isinstance(jobs, list)
    }


# A keyword argument Salt's state functions ignore, which marks a job as a promotion's
# (Salt's own `--metadata` is dropped by the `--static` batch output saltline reads).
JOB_TAG = "saltline_job"


def _tag(job: dict[str, Any]) -> str:
    for argument in job.get("arg") or []:
        if isinstance(argument, dict) and argument.get("__kwarg__") and JOB_TAG in argument:
            return str(argument[JOB_TAG])
    return ""


STATE_FUNCTIONS = ("state.apply", "state.highstate", "state.sls", "state.top")


def scheduled_state_jobs(stdout: str) -> dict[str, list[str]]:
    """`salt --out=json … schedule.list return_yaml=False`: per answering minion, the
    enabled jobs of its schedule (its configuration's and its pillar's) that apply states.
    A minion whose whole schedule is disabled has none.

    >>> scheduled_state_jobs('{"web1": {"highstate": {"function": "state.apply"}, '
    ...     '"mine": {"function": "mine.update"}, "off": {"function": "state.sls", '
    ...     '"enabled": false}}, "db1": {}, "db2": {"enabled": false, '
    ...     '"hs": {"function": "state.highstate"}}}')
    {'web1': ['highstate'], 'db1': [], 'db2': []}
    """
    document = _json_document(stdout.strip() or "{}", "schedule.list")
    if not isinstance(document, dict):
        raise SaltOutputError(f"schedule.list: expected schedules by minion, got: {stdout[:300]}")
    jobs: dict[str, list[str]] = {}
    for minion, schedule in document.items():
        if not isinstance(schedule, dict):
            continue  # did not answer (Salt's message in place of a schedule)
        if schedule.get("enabled") is False:
            jobs[str(minion)] = []
            continue
        jobs[str(minion)] = sorted(
            str(name)
            for name, job in schedule.items()
            if isinstance(job, dict)
            and job.get("function") in STATE_FUNCTIONS
            and job.get("enabled", True) is not False
        )
    return jobs
