"""saltcheck as a verify backend: Salt's own tests (`<state>/saltcheck-tests/*.tst`).

On the converged minion, the tests of every state its top file assigns run through
`saltcheck.run_state_tests`, one state at a time in one Salt process (Salt 3007's
`run_highstate_tests` returns after the first state); each test becomes a JUnit case,
and a failure names the test, the assertion and expected versus actual
(`saltcheck_output_details`):

    >>> out = '[[{"users": {"root-exists": {"status": "Pass", "duration": 0.1}}},'
    >>> out += ' {"TEST RESULTS": {"Passed": 1, "Failed": 0}}]]'
    >>> [(case.name, case.failure) for case in parse(out, "dev.web1")]
    [('users::root-exists', None)]
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from saltline.engine.images import SALT_PYTHON
from saltline.errors import CommandTimeout
from saltline.pipeline.results import Case, StageResult

SCRIPT = """
import json, salt.client, salt.config
caller = salt.client.Caller(mopts=salt.config.minion_config("/etc/salt/minion"))
states = caller.cmd("state.show_top").get("base", [])
print(json.dumps([caller.cmd("saltcheck.run_state_tests", s) for s in dict.fromkeys(states)]))
"""
TEST_DIR = "saltcheck-tests"
SUMMARY = "TEST RESULTS"


def present(state_roots: list[Path]) -> bool:
    """Whether any state of these roots has saltcheck tests."""
    return any(next(root.rglob(f"{TEST_DIR}/*.tst"), None) for root in state_roots)


def parse(stdout: str, classname: str) -> list[Case]:
    """The JUnit cases of SCRIPT's output (a list of `run_state_tests` returns);
    ValueError when it is none."""
    results = json.loads(stdout.strip().splitlines()[-1] if stdout.strip() else "")
    if not isinstance(results, list):
        raise ValueError(f"unexpected saltcheck output: {stdout[:300]}")
    cases = []
    for result in results:
        if isinstance(result, str):  # Salt's own error, such as a .tst that does not render
            raise ValueError(result)
        for state, tests in (pair for entry in result for pair in entry.items()):
            if state == SUMMARY or not isinstance(tests, dict):
                continue
            for name, outcome in tests.items():
                cases.append(_case(state, name, outcome, classname))
    return cases


def _case(state: str, name: str, outcome: dict[str, Any], classname: str) -> Case:
    status = str(outcome.get("status", "Fail - no status"))
    failure = None
    if status.startswith("Fail"):
        details = [status]
        for key, value in outcome.items():
            if isinstance(value, dict):  # one per assertion of a test with several
                if str(value.get("status", "")).startswith("Fail"):
                    details.append(f"{key}: {_describe(value)}")
            elif key not in ("status", "duration"):
                details.append(f"{key}: {value}")
        failure = "\n".join(details)
    return Case(
        name=f"{state}::{name}",
        classname=f"{classname}.saltcheck",
        duration=float(outcome.get("duration") or 0.0),
        failure=failure,
        skipped="skipped in its .tst file" if status.startswith("Skip") else None,
    )


def _describe(assertion: dict[str, Any]) -> str:
    return "; ".join(f"{key}: {value}" for key, value in assertion.items())


def run(
    execute: Callable[[list[str], int], tuple[str, str]],
    classname: str,
    timeout: int,
    python: str = SALT_PYTHON,
) -> StageResult:
    """Run the tests through `execute(command, timeout) -> (stdout, stderr)`, with Salt's
    `python` in the minion's image."""
    try:
        stdout, stderr = execute([python, "-c", SCRIPT], timeout)
    except CommandTimeout:
        return StageResult("verify", "error", message=f"saltcheck did not finish within {timeout}s")
    try:
        cases = parse(stdout, classname)
    except ValueError as exc:
        tail = "\n".join(stderr.strip().splitlines()[-10:])
        return StageResult("verify", "error", message=f"saltcheck: {exc}\n{tail}".strip())
    failed = [case for case in cases if case.failure]
    if failed:
        message = "\n".join(f"{case.name}: {case.failure}" for case in failed)
        return StageResult("verify", "failed", message=message, cases=cases)
    if not cases:
        return StageResult("verify", "skipped", message="no saltcheck test for the applied states")
    return StageResult("verify", "passed", message=f"{len(cases)} saltcheck tests", cases=cases)
