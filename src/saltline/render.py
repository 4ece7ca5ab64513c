"""The render stage: every minion's highstate and pillar, in every environment, without applying.

One container per platform, from the minion image but without systemd (nothing is
applied, so nothing needs it), runs `salt-call --local state.apply mock=True` per
minion × environment. Jinja, YAML, include, requisite and pillar errors stop here,
named by file and line (see `render_errors`), before any minion starts.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import os
import time

import docker
import docker.errors
import yaml
from docker.models.containers import Container

from saltline import gpg_keys, labels
from saltline.config import Config, Target
from saltline.containers import put_files, run_command
from saltline.minion import minion_config
from saltline.render_errors import Estate, RenderError, locate
from saltline.results import Case, StageResult
from saltline.salt_results import SaltOutputError, parse_apply

CONFIG_ROOT = "/tmp/saltline-render"


def jobs_for(targets: list[Target], environments: tuple[str, ...]) -> list[Target]:
    """Each chosen minion × platform as a member of every environment."""
    pairs = {(t.minion.name, t.platform.name): (t.minion, t.platform) for t in targets}
    return [Target(m, p, env) for env in environments for m, p in pairs.values()]


def config_dir(job: Target) -> str:
    return f"{CONFIG_ROOT}/{job.environment}-{job.minion.name}-{job.platform.name}"


def run(
    client: docker.DockerClient,
    config: Config,
    targets: list[Target],
    image_for: dict[str, str],
    run_id: str,
    jobs: int = 0,
) -> StageResult:
    """Render every target in every environment; fails on any render error."""
    started = time.monotonic()
    estate = Estate(config.state_dir, config.pillar_dir)
    render_jobs = jobs_for(targets, config.environments)
    containers: dict[str, Container] = {}
    try:
        for platform in sorted({job.platform.name for job in render_jobs}):
            containers[platform] = _start(client, config, image_for[platform], run_id, platform)
        for platform, container in containers.items():
            mine = [job for job in render_jobs if job.platform.name == platform]
            put_files(container, "/", _config_files(config, mine))
            if config.gpg_key is not None:
                gpg_keys.import_key(container, config.gpg_key)
        workers = max(1, min(jobs or os.cpu_count() or 1, len(render_jobs)))
        with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as pool:
            cases = list(
                pool.map(
                    lambda job: _render(containers[job.platform.name], job, estate),
                    render_jobs,
                )
            )
    finally:
        for container in containers.values():
            with contextlib.suppress(docker.errors.NotFound):
                container.remove(force=True)
    failed = [case for case in cases if case.failure]
    message = (
        "\n".join(f"{case.name}:\n{case.failure}" for case in failed)
        if failed
        else f"{len(cases)} minion × environment renders, no errors"
    )
    return StageResult(
        "render", "failed" if failed else "passed", time.monotonic() - started, message, cases
    )


def _start(
    client: docker.DockerClient, config: Config, image: str, run_id: str, platform: str
) -> Container:
    return client.containers.run(
        image,
        command=["sleep", "infinity"],
        name=f"saltline-{run_id}-render-{platform}",
        labels=labels.for_run(run_id, **{labels.PLATFORM: platform, labels.KIND: "render"}),
        detach=True,
        network_mode="none",
        volumes={
            str(config.state_dir.resolve()): {"bind": "/srv/salt", "mode": "ro"},
            str(config.pillar_dir.resolve()): {"bind": "/srv/pillar", "mode": "ro"},
        },
    )


def _config_files(config: Config, jobs: list[Target]) -> dict[str, str]:
    """One minion config per job, each with its own cache, by path below /."""
    files = {}
    for job in jobs:
        document = yaml.safe_load(minion_config(job, config))
        document["cachedir"] = f"{config_dir(job)}/cache"
        files[f"{config_dir(job).lstrip('/')}/minion"] = yaml.safe_dump(document, sort_keys=False)
    return files


def _render(container: Container, job: Target, estate: Estate) -> Case:
    started = time.monotonic()
    command = [
        "salt-call", "--config-dir", config_dir(job), "--local", "--out=json",
        "--log-level=critical", "state.apply", "mock=True",
    ]  # fmt: skip
    done = run_command(container, command)
    try:
        errors = locate(parse_apply(done.stdout), done.stderr, estate)
    except SaltOutputError as exc:
        errors = [RenderError(estate.shown(estate.state_dir), 0, str(exc))]
    return Case(
        name=job.key,
        classname="estate.render",
        duration=time.monotonic() - started,
        failure="\n".join(map(str, errors)) or None,
    )
