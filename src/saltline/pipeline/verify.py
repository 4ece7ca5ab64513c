"""The verify stage: pytest + testinfra (docker backend) against a converged minion."""

from __future__ import annotations

import json
import os
import re
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

from saltline import process
from saltline.errors import CommandTimeout
from saltline.pipeline.results import Case, StageResult

# testinfra parametrizes every test with its host; the container name changes each run.
HOST_PARAMETER = re.compile(r"\[docker://[^\]]+\]$")


def suites_for(roles: tuple[str, ...], tests_dir: Path) -> list[Path]:
    """The testinfra modules of a minion's roles: `tests/infra/test_<role>.py`."""
    return [
        tests_dir / f"test_{role}.py" for role in roles if (tests_dir / f"test_{role}.py").is_file()
    ]


def run_testinfra(
    *,
    container: str,
    roles: tuple[str, ...],
    tests_dir: Path,
    junit_path: Path,
    classname: str,
    timeout: int,
    environment: str,
    peers: dict[str, dict[str, object]],
) -> StageResult:
    """Run the roles' suites; `peers` (minion id → host URL, roles) reach the suites as
    SALTLINE_PEERS, for checks across minions."""
    suites = suites_for(roles, tests_dir)
    if not suites:
        wanted = ", ".join(f"test_{role}.py" for role in roles)
        return StageResult(
            "verify", "skipped", message=f"no testinfra suite in {tests_dir} ({wanted})"
        )
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-p",
        "no:cacheprovider",
        "-q",
        "--no-header",
        f"--hosts=docker://{container}",
        f"--junitxml={junit_path}",
        f"--rootdir={tests_dir}",
        *map(str, suites),
    ]
    env = {
        **os.environ,
        "SALTLINE_ENVIRONMENT": environment,
        "SALTLINE_CONTAINER": container,
        "SALTLINE_PEERS": json.dumps(peers),
    }
    try:
        done = process.run(command, timeout=timeout, env=env)
    except CommandTimeout:
        return StageResult("verify", "error", message=f"testinfra did not finish within {timeout}s")
    cases = parse_junit(junit_path.read_text(), classname) if junit_path.is_file() else []
    failed = [case for case in cases if case.failure]
    if done.returncode == 0 and cases:
        return StageResult("verify", "passed", message=f"{len(cases)} checks", cases=cases)
    if failed:
        message = "\n".join(f"{case.name}: {case.failure}" for case in failed)
        return StageResult("verify", "failed", message=message, cases=cases)
    tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-20:])
    return StageResult(
        "verify", "error", message=f"pytest exited {done.returncode}:\n{tail}", cases=cases
    )


def parse_junit(xml_text: str, classname: str) -> list[Case]:
    """Test cases from pytest's JUnit XML, re-homed under the minion's class name."""
    root = ET.fromstring(xml_text)
    cases = []
    for element in root.iter("testcase"):
        failure = element.find("failure")
        if failure is None:
            failure = element.find("error")
        skipped = element.find("skipped")
        module = element.get("classname", "").rsplit(".", 1)[-1]
        name = HOST_PARAMETER.sub("", element.get("name", "?"))
        cases.append(
            Case(
                name=f"{module}::{name}",
                classname=f"{classname}.verify",
                duration=float(element.get("time") or 0.0),
                failure=None
                if failure is None
                else (failure.get("message") or "failed")
                + ("\n" + failure.text if failure.text else ""),
                skipped=None if skipped is None else (skipped.get("message") or "skipped"),
            )
        )
    return cases
