"""saltcheck as a verify backend: Salt's own tests (`<state>/saltcheck-tests/*.tst`).

`salt-call saltcheck.run_highstate_tests` runs, on the converged minion, the tests of
every state its top file assigns; each test becomes a JUnit case, and a failure names
the test, the assertion and expected versus actual (`saltcheck_output_details`):

    >>> out = '{"local": [{"users": {"root-exists": {"status": "Pass", "duration": 0.1}}},'
    >>> out += ' {"TEST RESULTS": {"Passed": 1, "Failed": 0}}]}'
    >>> [(case.name, case.failure) for case in parse(out, "dev.web1")]
    [('users::root-exists', None)]
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from saltline.errors import CommandTimeout
from saltline.pipeline.results import Case, StageResult

COMMAND = [
    "salt-call", "--local", "--out=json", "--log-level=quiet", "saltcheck.run_highstate_tests",
]  # fmt: skip
TEST_DIR = "saltcheck-tests"
SUMMARY = "TEST RESULTS"


def present(state_roots: list[Path]) -> bool:
    """Whether any state of these roots has saltcheck tests."""
    return any(next(root.rglob(f"{TEST_DIR}/*.tst"), None) for root in state_roots)


def parse(stdout: str, classname: str) -> list[Case]:
    """The JUnit cases of `run_highstate_tests`' JSON output; ValueError when it is none."""
    document = json.loads(stdout)
    results = document.get("local") if isinstance(document, dict) else None
    if isinstance(results, str):  # Salt's own error, such as a top file that does not render
        raise ValueError(results)
    if not isinstance(results, list):
        raise ValueError(f"unexpected saltcheck output: {stdout[:300]}")
    cases = []
    for entry in results:
        for state, tests in entry.items():
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
    execute: Callable[[list[str], int], tuple[str, str]], classname: str, timeout: int
) -> StageResult:
    """Run the tests through `execute(command, timeout) -> (stdout, stderr)`."""
    try:
        stdout, stderr = execute(COMMAND, timeout)
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
