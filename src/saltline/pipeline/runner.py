"""`saltline test`: lint and render the estate, then a minion per target through its stages.

Each minion stage runs on every target (in parallel, bounded by the number of cores)
before the next stage starts, so that checks across minions find them all
converged. Everything the run
creates carries its run label and is removed at the end, on failure, timeout
or Ctrl-C, unless `keep` is asked for.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import os
import secrets
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import docker
import docker.errors

from saltline.config import Config, Target
from saltline.console import Console
from saltline.engine import apt_cache, cleanup, host_limits, labels
from saltline.engine.images import Images
from saltline.errors import SaltlineError
from saltline.estate import layout
from saltline.pipeline import (
    change_selection,
    impact_report,
    impact_run,
    lint,
    render,
    report,
    saltcheck,
    selection,
)
from saltline.pipeline.minion import DockerMinion, RunContext
from saltline.pipeline.progress import stage_line
from saltline.pipeline.render_errors import Estate
from saltline.pipeline.results import RunResult, StageResult, TargetResult
from saltline.pipeline.stages import (
    MINION_STAGES,
    PIPELINE,
    MinionStage,
    Peer,
    StageContext,
    run_stage,
)


@dataclass(frozen=True)
class TestOptions:
    targets: list[Target]
    reports_dir: Path
    stages: tuple[str, ...] = PIPELINE  # the selected stages, in pipeline order
    keep: bool = False
    jobs: int = 0  # 0: one per core
    update_golden: bool = False  # render writes golden data instead of comparing
    changed: list[str] | None = None  # `--changed`: converge only the targets these affect
    package_cache: bool = True  # minions download packages through the shared cache
    # A run that may record a pass tests this commit's roots (what its release ships),
    # not the working tree's
    commit: str | None = None
    max_containers: int = 0  # alive at once; 0: what the host allows (`host_limits`)
    impact_base: str | None = None  # the commit the impact compares with; None: no impact
    golden_data: bool = True  # render checks the golden data (`saltline diff` does not)


def select_stages(only: list[str], skip: list[str]) -> tuple[str, ...]:
    """The pipeline narrowed by `--only` and `--skip`, in pipeline order."""
    for name in [*only, *skip]:
        if name not in PIPELINE:
            raise SaltlineError(f"no stage named {name!r}; stages: {', '.join(PIPELINE)}")
    both = sorted(set(only) & set(skip))
    if both:
        raise SaltlineError(f"--only {both[0]} and --skip {both[0]}: run it, or not; give one")
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
    versions = dict.fromkeys(target.salt_version for target in options.targets)
    result = RunResult(run_id=run_id, salt_versions=list(versions or config.matrix_salt_versions))
    selected = set(options.stages)
    minion_stages = tuple(stage for stage in MINION_STAGES if stage.name in selected)
    # Connect before linting: a missing engine is an environment error, found first.
    client = connect() if "render" in selected or minion_stages else None
    if "lint" in selected:
        console.say(stage_line("estate", "lint", None))
        result.estate.append(lint.run(config))
        console.say(stage_line("estate", "lint", result.estate[-1]))
    lint_passed = result.passed or not result.estate
    if client is not None and lint_passed:
        _run_in_containers(client, config, options, minion_stages, result, console)
    result.duration = time.monotonic() - started
    if "report" in selected:
        report.write(result, options.reports_dir)
    return result


def _reap_leftovers(client: docker.DockerClient, console: Console) -> None:
    """Housekeeping, not this run's job: what the engine refuses now (another run is
    removing the same leftovers) the next run's reap retries."""
    try:
        reaped = cleanup.reap(client)
    except docker.errors.APIError as exc:
        console.say(
            f"could not remove what runs that are gone left behind ({exc}); the next run "
            "tries again (or `saltline destroy`)"
        )
        return
    if reaped.containers or reaped.networks or reaped.volumes:
        gone = [*reaped.containers, *reaped.networks, *reaped.volumes]
        console.say(f"removed what runs that are gone left behind: {', '.join(gone)}")


def _run_in_containers(
    client: docker.DockerClient,
    config: Config,
    options: TestOptions,
    minion_stages: tuple[MinionStage, ...],
    result: RunResult,
    console: Console,
) -> None:
    estate = layout.resolve(config, console.say, options.commit)  # before anything starts
    _reap_leftovers(client, console)
    images = Images(client, config, log=console.say)
    cells = {target.cell: (target.platform, target.salt_version) for target in options.targets}
    images.check_supported(list(cells.values()))  # before any build
    image_for = {cell: images.ensure_minion(*found) for cell, found in cells.items()}
    cancelled = threading.Event()
    try:
        if "render" in options.stages:
            console.say(stage_line("estate", "render", None))
            rendered = render.run(
                client,
                config,
                estate,
                targets=options.targets,
                image_for=image_for,
                run_id=result.run_id,
                jobs=options.jobs,
                update_golden=options.update_golden,
                golden_data=options.golden_data,
            )
            result.estate.append(rendered.stage)
            console.say(stage_line("estate", "render", rendered.stage))
            if not rendered.stage.passed:
                return
            console.say(f"    {rendered.stage.message}")
            if options.impact_base is not None:
                result.impact = impact_run.analyse(
                    client, config, Estate.of(config.root, estate), options.targets,
                    rendered, options.impact_base, result.run_id, options.jobs, console.say,
                )  # fmt: skip
                console.say(impact_report.headline(result.impact))
            if options.changed is not None:
                options = _narrowed(config, options, rendered.used, result, console)
        if not minion_stages or not options.targets:
            return
        networks = _create_networks(client, result.run_id, options.targets, options.keep)
        context = RunContext(
            run_id=result.run_id,
            networks=networks,
            config=config,
            layout=estate,
            package_cache=options.package_cache
            and _attach_package_cache(client, images, list(networks.values()), console),
            keep=options.keep,
        )
        limit, why = (
            (options.max_containers, "--max-containers")
            if options.max_containers
            else host_limits.container_budget()
        )
        batches = group_batches(options.targets, limit)
        if len(batches) > 1:
            console.say(f"{len(options.targets)} targets in {len(batches)} batches of whole "
                        f"groups, at most {limit} containers at once ({why})")  # fmt: skip
        with tempfile.TemporaryDirectory(prefix=f"saltline-{result.run_id}-") as work_dir:
            for batch in batches:
                result.targets += _run_targets(
                    client,
                    dataclasses.replace(options, targets=batch),
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


def group_batches(targets: list[Target], limit: int) -> list[list[Target]]:
    """Targets in batches of whole groups (an environment × cell's minions stay up
    together, for cross-minion checks), each of at most `limit` targets unless one group
    alone is larger; in order.

    >>> from types import SimpleNamespace as T
    >>> [len(b) for b in group_batches([T(group=g) for g in "aabbbcd"], 4)]
    [2, 4, 1]
    """
    groups: dict[object, list[Target]] = {}
    for target in targets:
        groups.setdefault(target.group, []).append(target)
    batches: list[list[Target]] = []
    for members in groups.values():
        if batches and len(batches[-1]) + len(members) <= limit:
            batches[-1].extend(members)
        else:
            batches.append(list(members))
    return batches


def _narrowed(
    config: Config,
    options: TestOptions,
    used: dict[str, selection.Used],
    result: RunResult,
    console: Console,
) -> TestOptions:
    """The options with only the targets the change affects, each with why; the others
    are recorded as not run, with the reason."""
    because = change_selection.selected(
        config, options.targets, options.changed or [], used, result.impact
    )
    chosen = [target for target in options.targets if target.key in because]
    for target in options.targets:
        if target.key in because:
            result.selected[target.key] = because[target.key]
            console.say(f"[{target.key}] selected: {because[target.key]}")
        else:
            result.not_run[target.key] = "not affected by the change (--changed)"
    if result.not_run:
        console.say(f"--changed: {len(result.not_run)} target(s) not affected, not run")
    return dataclasses.replace(options, targets=chosen)


def _attach_package_cache(
    client: docker.DockerClient, images: Images, networks: list[str], console: Console
) -> bool:
    """Start the shared package cache if need be and attach it to the run's networks;
    a cache that cannot be had is said, and the run downloads directly."""
    try:
        apt_cache.ensure(client, images.ensure_apt_cache())
        for network in networks:
            apt_cache.attach(client, network)
    except (docker.errors.DockerException, SaltlineError) as exc:
        console.say(f"no package cache ({exc}); minions download packages directly")
        return False
    return True


def _create_networks(
    client: docker.DockerClient, run_id: str, targets: list[Target], keep: bool
) -> dict[tuple[str, str, str], str]:
    """A network per target group (environment × platform × Salt version): its minions see
    each other by id."""
    networks = {}
    for environment, platform, salt_version in dict.fromkeys(target.group for target in targets):
        network = client.networks.create(
            labels.unique_name(f"saltline-{run_id}", environment, platform, salt_version),
            labels=labels.for_run(
                run_id,
                **{labels.ENVIRONMENT: environment, **({labels.KEPT: "true"} if keep else {})},
            ),
        )
        networks[(environment, platform, salt_version)] = str(network.name)
    return networks


def _run_targets(
    client: docker.DockerClient,
    options: TestOptions,
    minion_stages: tuple[MinionStage, ...],
    context: RunContext,
    image_for: dict[tuple[str, str], str],
    work_dir: Path,
    console: Console,
    cancelled: threading.Event,
) -> list[TargetResult]:
    """Start every target, then run each stage on every target before the next stage."""
    minions = {
        target.key: DockerMinion(client, target, image_for[target.cell], context)
        for target in options.targets
    }
    results = {
        target.key: TargetResult(
            minion=target.minion.name,
            platform=target.platform.name,
            environment=target.environment,
            roles=list(target.minion.roles),
            salt_version=target.salt_version,
            container=target.container.given(),
        )
        for target in options.targets
    }
    done: dict[str, dict[str, StageResult]] = {key: {} for key in minions}
    saltcheck_on = context.config.tests.saltcheck and saltcheck.present(
        [root.host for root in context.layout.states]
    )
    jobs = min(options.jobs or os.cpu_count() or 1, len(options.targets))
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=jobs)
    interrupted = False
    try:
        started = _each(
            pool,
            lambda target: _start(minions[target.key], done[target.key], console),
            options.targets,
            cancelled,
        )
        up = [target for target, ok in zip(options.targets, started, strict=True) if ok]
        contexts = {
            target.key: StageContext(
                minion=minions[target.key],
                target=target,
                config=context.config,
                work_dir=work_dir,
                peers=_peers(target, up, minions),
                saltcheck=saltcheck_on,
            )
            for target in up
        }
        for stage in minion_stages:

            def run_one(target: Target, stage: MinionStage = stage) -> StageResult:
                def progress(name: str, result: StageResult | None) -> None:
                    console.say(stage_line(target.key, name, result))

                return run_stage(contexts[target.key], stage, done[target.key], progress)

            _each(pool, run_one, up, cancelled)
    except BaseException:
        # Ctrl-C or a bug: stop the others and remove the containers under them.
        interrupted = True
        cancelled.set()
        cleanup.remove_run(client, context.run_id)
        raise
    finally:
        if not options.keep and not interrupted:
            _each(pool, lambda target: minions[target.key].destroy(), options.targets, None)
        # After an interrupt, a worker may still wait on an exec in a container that is
        # gone: do not wait for it (the CLI exits without joining it).
        pool.shutdown(wait=not interrupted, cancel_futures=True)
    for key, result in results.items():
        result.stages = list(done[key].values())
    return list(results.values())


def _each(
    pool: concurrent.futures.ThreadPoolExecutor,
    work: Callable[[Target], object],
    targets: list[Target],
    cancelled: threading.Event | None,
) -> list[object]:
    """`work` on every target in parallel; nothing new starts once the run is cancelled."""

    def guarded(target: Target) -> object:
        return None if cancelled is not None and cancelled.is_set() else work(target)

    futures = [pool.submit(guarded, target) for target in targets]
    try:
        return [future.result() for future in futures]
    except BaseException:
        if cancelled is not None:
            cancelled.set()
        for future in futures:
            future.cancel()
        raise


def _start(minion: DockerMinion, done: dict[str, StageResult], console: Console) -> bool:
    """Start a minion; a failure is recorded as the converge stage's error."""
    key = minion.target.key
    started = time.monotonic()
    console.say(f"[{key}] starting {minion.container_name}")
    try:
        minion.start()
    except (docker.errors.DockerException, SaltlineError) as exc:
        message = f"could not start {minion.container_name}: {exc}"
        done["converge"] = StageResult("converge", "error", time.monotonic() - started, message)
        console.say(stage_line(key, "start", done["converge"]))
        return False
    console.say(f"[{key}] up in {time.monotonic() - started:.1f}s")
    return True


def _peers(target: Target, up: list[Target], minions: dict[str, DockerMinion]) -> dict[str, Peer]:
    return {
        other.minion.name: Peer(minions[other.key].container_name, other.minion.roles)
        for other in up
        if other.group == target.group
    }
