"""The stage sequence, with a scripted minion in place of a container."""

from __future__ import annotations

import dataclasses

import pytest

from saltline.config import Config, Minion, Platform, Target, VerifyTests
from saltline.errors import CommandTimeout
from saltline.pipeline.results import StageResult
from saltline.pipeline.stages import (
    MINION_STAGES,
    PIPELINE,
    MinionStage,
    Progress,
    StageContext,
    run_stage,
)
from saltline.salt_results import ApplyRun, StateResult


def state(state_id: str, *, result: bool | None = True, changes: dict | None = None) -> StateResult:
    return StateResult(
        state_id=state_id,
        function="file.managed",
        name=f"/etc/{state_id}",
        sls="app.config",
        result=result,
        changes=changes or {},
        comment=f"comment of {state_id}",
        duration_ms=12.0,
        run_num=0,
    )


class ScriptedMinion:
    """Returns the given ApplyRuns in order, one per apply."""

    name = "web1"
    container_name = "saltline-test-web1-debian12"

    def __init__(self, *runs: ApplyRun | Exception):
        self.runs = list(runs)
        self.applies = 0
        self.tests = 0  # applies with test=True

    def apply(self, timeout: int, test: bool = False) -> ApplyRun:
        self.applies += 1
        self.tests += test
        outcome = self.runs.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome


@pytest.fixture
def context(tmp_path):
    platform = Platform("debian12", "bookworm", "debian:bookworm")
    minion = Minion("web1", ("web",), ("debian12",))
    config = Config(
        path=tmp_path / "saltline.yml",
        salt_version="3007.13",
        platforms={"debian12": platform},
        minions={"web1": minion},
        environments=("dev",),
        timeouts={"converge": 60, "verify": 60},
    )

    def make(minion_double: ScriptedMinion) -> StageContext:
        return StageContext(
            minion_double, Target(minion, platform, "dev", "3007.13"), config, tmp_path
        )

    return make


def run_minion_stages(
    ctx: StageContext,
    stages: tuple[MinionStage, ...],
    progress: Progress = lambda stage, result: None,
) -> list[StageResult]:
    """The stages in order on one target, as the runner runs them."""
    done: dict[str, StageResult] = {}
    for stage in stages:
        run_stage(ctx, stage, done, progress)
    return list(done.values())


def no_verify() -> tuple[MinionStage, ...]:
    """The real converge and idempotence stages, and a verify that records it ran."""
    ran = lambda ctx: StageResult("verify", "passed")  # noqa: E731
    return (*MINION_STAGES[:2], MinionStage("verify", ran, requires=("converge",)))


def test_the_pipeline_order_is_declared_once():
    assert PIPELINE == ("lint", "render", "converge", "idempotence", "verify", "report")
    assert [stage.name for stage in MINION_STAGES] == ["converge", "idempotence", "verify"]


def test_a_clean_run_passes_every_stage(context):
    first = ApplyRun([state("a", changes={"diff": "new"}), state("b")])
    second = ApplyRun([state("a"), state("b")])
    results = run_minion_stages(context(ScriptedMinion(first, second)), no_verify())
    assert [(r.stage, r.status) for r in results] == [
        ("converge", "passed"),
        ("idempotence", "passed"),
        ("verify", "passed"),
    ]
    assert [case.name for case in results[0].cases] == [
        "app.config: a (file.managed)",
        "app.config: b (file.managed)",
    ]
    assert results[0].cases[0].classname == "dev/web1@debian12/salt3007.13.converge"


def test_a_failing_state_fails_converge_and_the_rest_is_skipped(context):
    minion = ScriptedMinion(ApplyRun([state("ok"), state("broken", result=False)]))
    results = run_minion_stages(context(minion), no_verify())
    assert [(r.stage, r.status) for r in results] == [
        ("converge", "failed"),
        ("idempotence", "skipped"),
        ("verify", "skipped"),
    ]
    assert (
        "state 'broken' (file.managed) in SLS app.config failed: comment of broken"
        in results[0].message
    )
    assert results[1].message == "needs converge to pass"
    assert minion.applies == 1
    assert [case.failure is not None for case in results[0].cases] == [False, True]


def test_a_second_apply_with_changes_names_every_state_id(context):
    first = ApplyRun([state("a", changes={"x": 1}), state("b", changes={"y": 1}), state("c")])
    second = ApplyRun([state("a", changes={"x": 1}), state("b", changes={"y": 2}), state("c")])
    results = run_minion_stages(context(ScriptedMinion(first, second)), no_verify())
    idempotence = results[1]
    assert idempotence.status == "failed"
    assert idempotence.message.startswith("not idempotent: a, b\n")
    assert [case.failure is not None for case in idempotence.cases] == [True, True, False]
    assert results[2].status == "passed"  # verify still runs: it only needs converge


def test_render_errors_fail_converge_with_salt_s_message(context):
    minion = ScriptedMinion(ApplyRun(errors=["Rendering SLS 'base:web' failed: line 3"]))
    results = run_minion_stages(context(minion), no_verify())
    assert results[0].status == "failed"
    assert "Rendering SLS 'base:web' failed: line 3" in results[0].message
    assert results[0].cases[0].failure is not None


def test_a_timeout_is_an_error_naming_the_minion(context):
    minion = ScriptedMinion(CommandTimeout("state.apply did not finish within 60s"))
    results = run_minion_stages(context(minion), no_verify())
    assert results[0].status == "error"
    assert (
        results[0].message == "dev/web1@debian12/salt3007.13: state.apply did not finish within 60s"
    )
    assert results[0].duration >= 0


def test_progress_is_reported_before_and_after_each_stage(context):
    seen = []
    minion = ScriptedMinion(ApplyRun([state("a")]), ApplyRun([state("a")]))
    run_minion_stages(
        context(minion), no_verify(), progress=lambda s, r: seen.append((s, r and r.status))
    )
    assert seen == [
        ("converge", None),
        ("converge", "passed"),
        ("idempotence", None),
        ("idempotence", "passed"),
        ("verify", None),
        ("verify", "passed"),
    ]


def test_with_the_prediction_check_converge_names_what_test_true_missed(context):
    """`tests.prediction`: the highstate with test=True first; a state that changed
    unpredicted (an onchanges cascade) and one predicted that did not change are named,
    and neither fails the converge."""
    predicted = ApplyRun([state("a", result=None), state("b"), state("c", result=None)])
    applied = ApplyRun([state("a", changes={"pid": 1}), state("b", changes={"pid": 2}),
                        state("c")])  # fmt: skip
    ctx = context(ScriptedMinion(predicted, applied))
    ctx = dataclasses.replace(
        ctx, config=dataclasses.replace(ctx.config, tests=VerifyTests(prediction=True))
    )
    [result] = run_minion_stages(ctx, MINION_STAGES[:1])
    assert result.status == "passed" and ctx.minion.tests == 1
    assert result.details["prediction"] == {
        "unpredicted": ["b"],
        "predicted_unchanged": ["c"],
        "held": ["a"],
    }
