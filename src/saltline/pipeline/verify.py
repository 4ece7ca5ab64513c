"""The verify stage: pytest + testinfra (docker backend) against a converged minion."""

from __future__ import annotations

import json
import os
import re
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

from saltline import process
from saltline.config import VerifyTests
from saltline.errors import CommandTimeout, ConfigError
from saltline.pipeline.results import Case, StageResult

# testinfra parametrizes every test with its host; the container name changes each run.
HOST_PARAMETER = re.compile(r"\[docker://[^\]]+\]$")


def suites_for(roles: tuple[str, ...], root: Path, tests: VerifyTests) -> list[Path]:
    """The testinfra modules a minion's roles select: those `tests.suites` names for them
    (and for `*`, every minion), else `<tests.testinfra>/test_<role>.py` where it exists.
    A file `tests.suites` names must exist."""
    if not tests.suites:
        directory = root / tests.testinfra
        return [
            directory / f"test_{role}.py"
            for role in roles
            if (directory / f"test_{role}.py").is_file()
        ]
    chosen = [file for role in ("*", *roles) for file in tests.suites.get(role, ())]
    missing = [file for file in chosen if not (root / file).is_file()]
    if missing:
        raise ConfigError(
            f"tests.suites names {', '.join(missing)}, which does not exist under {root}"
        )
    return [root / file for file in dict.fromkeys(chosen)]


def run_testinfra(
    *,
    container: str,
    suites: list[Path],
    junit_path: Path,
    classname: str,
    timeout: int,
    environment: str,
    peers: dict[str, dict[str, object]],
) -> StageResult:
    """Run the roles' suites; `peers` (minion id → host URL, roles) reach the suites as
    SALTLINE_PEERS, for checks across minions."""
    if not suites:
        return StageResult("verify", "skipped", message="no testinfra suite for its roles")
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
        f"--rootdir={os.path.commonpath([suite.parent for suite in suites])}",
        *map(str, suites),
    ]
    env = {
        **os.environ,
        "SALTLINE_ENVIRONMENT": environment,
        "SALTLINE_CONTAINER": container,
        "SALTLINE_PEERS": json.dumps(peers),
        "PYTHONDONTWRITEBYTECODE": "1",  # no __pycache__ in the tree: it would not be clean
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
