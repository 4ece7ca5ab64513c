"""The pipeline as data: named stages in order, each refusing to run without what it needs.

The whole sequence is `lint → render → converge → idempotence → verify → report`.
`converge`, `idempotence` and `verify` run per target (minion × platform ×
environment), defined here; the runner runs each stage on every target before the
next stage, so that verify sees every minion converged. `report` runs once, last.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import docker.errors

from saltline.config import Config, Target
from saltline.engine import images
from saltline.errors import SaltlineError, SaltOutputError
from saltline.pipeline import container_limits, prediction, saltcheck, verify
from saltline.pipeline.minion import Minion
from saltline.pipeline.results import Case, StageResult, Status
from saltline.salt_results import (
    ApplyRun,
    StateResult,
    describe_changes,
    describe_failure,
    not_idempotent,
)

PIPELINE = ("lint", "render", "converge", "idempotence", "verify", "report")


@dataclass(frozen=True)
class Peer:
    """Another minion of the same environment × platform, reachable by its minion id."""

    container: str
    roles: tuple[str, ...]


@dataclass(frozen=True)
class StageContext:
    """What a minion stage works on."""

    minion: Minion
    target: Target
    config: Config
    work_dir: Path  # per-run scratch space for intermediate files
    peers: dict[str, Peer] = field(default_factory=dict)  # by minion id, this one included
    saltcheck: bool = False  # the estate has saltcheck tests, and `tests.saltcheck` is on

    @property
    def classname(self) -> str:
        return self.target.key


StageFunction = Callable[[StageContext], StageResult]


@dataclass(frozen=True)
class MinionStage:
    name: str
    run: StageFunction
    requires: tuple[str, ...] = ()


def converge(ctx: StageContext) -> StageResult:
    predicted = None
    if ctx.config.tests.prediction:  # the same highstate with test=True first
        predicted = ctx.minion.apply(ctx.config.timeouts["converge"], test=True)
    applied = ctx.minion.apply(ctx.config.timeouts["converge"])
    minion = ctx.target.minion
    limits = {
        state.state_id: limit
        for state in applied.failed
        if (limit := container_limits.diagnose(state, minion.name))
    }

    def failure(state: StateResult) -> str | None:
        if state.result is not False:
            return None
        limit = limits.get(state.state_id)
        return limit.describe() if limit else describe_failure(state)

    cases = _state_cases(ctx, "converge", applied, failure) + [
        Case(f"excluded: {e.kind} {e.name}", f"{ctx.classname}.converge", 0.0,
             skipped=f"not applied in containers: {e.reason}")
        for e in minion.exclude
    ]  # fmt: skip
    details: dict[str, Any] = {}
    if limits:
        details["container_limits"] = [limit.to_dict() for limit in limits.values()]
    if minion.exclude:
        details["excluded"] = [{e.kind: e.name, "reason": e.reason} for e in minion.exclude]
    if predicted is not None and not predicted.errors and not applied.errors:
        details["prediction"] = prediction.check(predicted, applied)
    excluded = "".join(
        f"\nexcluded in containers: {e.kind} {e.name} ({e.reason})" for e in minion.exclude
    )
    if applied.errors:
        message = "the highstate did not render:\n" + "\n".join(applied.errors)
        return StageResult("converge", "failed", message=message, cases=cases, details=details)
    failed = applied.failed
    if failed:
        message = "\n".join(filter(None, map(failure, failed))) + excluded
        return StageResult("converge", "failed", message=message, cases=cases, details=details)
    return StageResult(
        "converge",
        "passed",
        message=f"{len(applied.states)} states, {len(applied.changed)} changed{excluded}",
        cases=cases,
        details=details,
    )


def idempotence(ctx: StageContext) -> StageResult:
    applied = ctx.minion.apply(ctx.config.timeouts["converge"])
    bad = not_idempotent(applied)

    def failure(state: StateResult) -> str | None:
        if state not in bad:
            return None
        return describe_changes(state) if state.changed else describe_failure(state)

    cases = _state_cases(ctx, "idempotence", applied, failure)
    if applied.errors:
        return StageResult("idempotence", "failed", message="\n".join(applied.errors), cases=cases)
    if bad:
        names = ", ".join(state.state_id for state in bad)
        details = "\n".join(filter(None, map(failure, bad)))
        message = f"not idempotent: {names}\n{details}"
        return StageResult("idempotence", "failed", message=message, cases=cases)
    return StageResult(
        "idempotence", "passed", message="no changes on the second apply", cases=cases
    )


def verify_stage(ctx: StageContext) -> StageResult:
    """testinfra suites of the minion's roles, and saltcheck tests of its states; either
    may be absent, and the stage is skipped only when both are."""
    timeout = ctx.config.timeouts["verify"]
    results = [_testinfra(ctx)]
    if ctx.saltcheck:
        python = images.salt_python(ctx.target.platform)
        results.append(saltcheck.run(ctx.minion.execute, ctx.classname, timeout, python))
    ran = [result for result in results if result.status != "skipped"]
    if not ran:
        return StageResult("verify", "skipped", message="; ".join(r.message for r in results))
    statuses = {result.status for result in ran}
    status: Status = (
        "error" if "error" in statuses else "failed" if "failed" in statuses else "passed"
    )
    return StageResult(
        "verify",
        status,
        message="\n".join(r.message for r in ran),
        cases=[case for result in ran for case in result.cases],
    )


def _testinfra(ctx: StageContext) -> StageResult:
    suites = verify.suites_for(ctx.target.minion.roles, ctx.config.root, ctx.config.tests)
    return verify.run_testinfra(
        container=ctx.minion.container_name,
        suites=suites,
        junit_path=ctx.work_dir / f"verify-{ctx.classname}.xml",
        classname=ctx.classname,
        timeout=ctx.config.timeouts["verify"],
        environment=ctx.target.environment,
        peers={
            name: {"host": f"docker://{peer.container}", "roles": list(peer.roles)}
            for name, peer in ctx.peers.items()
        },
    )


MINION_STAGES: tuple[MinionStage, ...] = (
    MinionStage("converge", converge),
    MinionStage("idempotence", idempotence, requires=("converge",)),
    MinionStage("verify", verify_stage, requires=("converge",)),
)

Progress = Callable[[str, StageResult | None], None]


def run_stage(
    ctx: StageContext,
    stage: MinionStage,
    done: dict[str, StageResult],
    progress: Progress = lambda stage, result: None,
) -> StageResult:
    """Run one stage after those in `done`; skipped when a requirement did not pass."""
    unmet = [name for name in stage.requires if name not in done or done[name].status != "passed"]
    if unmet:
        result = StageResult(stage.name, "skipped", message=f"needs {', '.join(unmet)} to pass")
    else:
        progress(stage.name, None)
        started = time.monotonic()
        result = _guarded(stage, ctx)
        result.duration = time.monotonic() - started
    done[stage.name] = result
    progress(stage.name, result)
    return result


def _guarded(stage: MinionStage, ctx: StageContext) -> StageResult:
    """A stage's result, with a timeout or unparsable output turned into an error result."""
    try:
        return stage.run(ctx)
    except (SaltlineError, SaltOutputError, docker.errors.DockerException) as exc:
        return StageResult(stage.name, "error", message=f"{ctx.classname}: {exc}")


def _state_cases(
    ctx: StageContext,
    stage: str,
    applied: ApplyRun,
    failure: Callable[[StateResult], str | None],
) -> list[Case]:
    classname = f"{ctx.classname}.{stage}"
    if applied.errors:
        return [Case("highstate", classname, 0.0, failure="\n".join(applied.errors))]
    return [
        Case(
            name=state.label,
            classname=classname,
            duration=state.duration_ms / 1000,
            failure=failure(state),
        )
        for state in applied.states
    ]
