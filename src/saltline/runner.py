"""`saltline test`: lint and render the estate, then a minion per target through its stages.

Targets run in parallel, bounded by the number of cores. Everything the run
creates carries its run label and is removed at the end, on failure, timeout
or Ctrl-C, unless `keep` is asked for.
"""

from __future__ import annotations

import concurrent.futures
import os
import secrets
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import docker

from saltline import cleanup, labels, lint, render, report
from saltline.config import Config, Target
from saltline.console import Console
from saltline.errors import SaltlineError
from saltline.images import Images
from saltline.minion import DockerMinion, RunContext
from saltline.results import RunResult, StageResult, TargetResult
from saltline.stages import MINION_STAGES, PIPELINE, MinionStage, StageContext, run_minion_stages


@dataclass(frozen=True)
class TestOptions:
    targets: list[Target]
    reports_dir: Path
    stages: tuple[str, ...] = PIPELINE  # the selected stages, in pipeline order
    keep: bool = False
    jobs: int = 0  # 0: one per core


def select_stages(only: list[str], skip: list[str]) -> tuple[str, ...]:
    """The pipeline narrowed by `--only` and `--skip`, in pipeline order."""
    for name in [*only, *skip]:
        if name not in PIPELINE:
            raise SaltlineError(f"no stage named {name!r}; stages: {', '.join(PIPELINE)}")
    return tuple(s for s in PIPELINE if (not only or s in only) and s not in skip)


def new_run_id() -> str:
    return secrets.token_hex(4)


def run(
    connect: Callable[[], docker.DockerClient],
    config: Config,
    options: TestOptions,
    console: Console,
) -> RunResult:
    """The selected stages over the chosen targets; the result is also written to reports.

    Estate stages (lint, render) run first and stop the run when they fail, so that
    most broken changes fail in seconds, before any minion starts.
    """
    started = time.monotonic()
    run_id = new_run_id()
    result = RunResult(run_id=run_id, salt_version=config.salt_version)
    selected = set(options.stages)
    minion_stages = tuple(stage for stage in MINION_STAGES if stage.name in selected)
    # Connect before linting: a missing engine is an environment error, found first.
    client = connect() if "render" in selected or minion_stages else None
    if "lint" in selected:
        console.stage("estate", "lint", None)
        result.estate.append(lint.run(config))
        console.stage("estate", "lint", result.estate[-1])
    lint_passed = result.passed or not result.estate
    if client is not None and lint_passed:
        _run_in_containers(client, config, options, minion_stages, result, console)
    result.duration = time.monotonic() - started
    if "report" in selected:
        report.write(result, options.reports_dir)
    return result


def _run_in_containers(
    client: docker.DockerClient,
    config: Config,
    options: TestOptions,
    minion_stages: tuple[MinionStage, ...],
    result: RunResult,
    console: Console,
) -> None:
    images = Images(client, config, log=console.say)
    platforms = {target.platform.name: target.platform for target in options.targets}
    image_for = {name: images.ensure_minion(platform) for name, platform in platforms.items()}
    cancelled = threading.Event()
    try:
        if "render" in options.stages:
            console.stage("estate", "render", None)
            rendered = render.run(
                client, config, options.targets, image_for, result.run_id, options.jobs
            )
            result.estate.append(rendered)
            console.stage("estate", "render", rendered)
            if not rendered.passed:
                return
        if not minion_stages:
            return
        network = client.networks.create(
            f"saltline-{result.run_id}", labels=labels.for_run(result.run_id)
        )
        context = RunContext(run_id=result.run_id, network=network.name, config=config)
        with tempfile.TemporaryDirectory(prefix=f"saltline-{result.run_id}-") as work_dir:
            result.targets = _run_targets(
                client,
                options,
                minion_stages,
                context,
                image_for,
                Path(work_dir),
                console,
                cancelled,
            )
    except BaseException:
        cancelled.set()
        raise
    finally:
        if not options.keep or cancelled.is_set():
            cleanup.remove_run(client, result.run_id)


def _run_targets(
    client: docker.DockerClient,
    options: TestOptions,
    minion_stages: tuple[MinionStage, ...],
    context: RunContext,
    image_for: dict[str, str],
    work_dir: Path,
    console: Console,
    cancelled: threading.Event,
) -> list[TargetResult]:
    jobs = options.jobs or os.cpu_count() or 1
    with concurrent.futures.ThreadPoolExecutor(max_workers=min(jobs, len(options.targets))) as pool:
        futures = [
            pool.submit(
                _test_target,
                client,
                target,
                minion_stages,
                image_for[target.platform.name],
                context,
                work_dir,
                options.keep,
                console,
                cancelled,
            )
            for target in options.targets
        ]
        try:
            return [future.result() for future in futures]
        except BaseException:
            # Ctrl-C or a bug: stop the others, remove the containers under them, and let
            # the pool wait for its threads before the exception goes on.
            cancelled.set()
            for future in futures:
                future.cancel()
            cleanup.remove_run(client, context.run_id)
            raise


def _test_target(
    client: docker.DockerClient,
    target: Target,
    minion_stages: tuple[MinionStage, ...],
    image: str,
    context: RunContext,
    work_dir: Path,
    keep: bool,
    console: Console,
    cancelled: threading.Event,
) -> TargetResult:
    result = TargetResult(
        minion=target.minion.name,
        platform=target.platform.name,
        environment=target.minion.environment,
        roles=list(target.minion.roles),
    )
    if cancelled.is_set():
        return result
    minion = DockerMinion(client, target, image, context)
    started = time.monotonic()
    console.say(f"[{target.key}] starting {minion.container_name}")
    try:
        try:
            minion.start()
        except (docker.errors.DockerException, RuntimeError) as exc:
            message = f"could not start {minion.container_name}: {exc}"
            result.stages.append(
                StageResult("converge", "error", time.monotonic() - started, message)
            )
            console.stage(target.key, "start", result.stages[-1])
            return result
        console.say(f"[{target.key}] up in {time.monotonic() - started:.1f}s")
        ctx = StageContext(minion=minion, target=target, config=context.config, work_dir=work_dir)
        result.stages = run_minion_stages(
            ctx,
            minion_stages,
            progress=lambda stage, stage_result: console.stage(target.key, stage, stage_result),
        )
    finally:
        if not keep:
            minion.destroy()
    return result
