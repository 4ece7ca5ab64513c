"""The render stage: every minion's highstate and pillar, in every environment, without applying.

One container per cell (platform × Salt version), from the minion image but without
systemd (nothing is applied, so nothing needs it), runs `salt-call --local state.apply
mock=True` per minion × environment. Jinja, YAML, include, requisite and pillar errors
stop here, named by file and line (see `render_errors`), before any minion starts.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docker
import docker.errors
import yaml
from docker.models.containers import Container

from saltline.config import Config, Target
from saltline.engine import estate_view, gpg_keys, images, labels
from saltline.engine.containers import put_files, run_command
from saltline.errors import CommandTimeout, SaltOutputError
from saltline.estate.layout import Layout
from saltline.pipeline import golden, render_cache, rendered_views, sources
from saltline.pipeline.impact import RenderedView
from saltline.pipeline.minion import minion_config
from saltline.pipeline.render_errors import Estate, RenderError, locate
from saltline.pipeline.results import Case, StageResult
from saltline.pipeline.selection import Used
from saltline.salt_results import parse_apply

CONFIG_ROOT = "/tmp/saltline-render"
DATA_TEMPLATE = f"{CONFIG_ROOT}/golden-data.jinja"


def jobs_for(targets: list[Target], environments: tuple[str, ...]) -> list[Target]:
    """Each chosen minion × platform × Salt version as a member of every environment."""
    cells = {(t.minion.name, *t.cell): (t.minion, t.platform, t.salt_version) for t in targets}
    return [Target(m, p, env, v) for env in environments for m, p, v in cells.values()]


def config_dir(job: Target) -> str:
    """Per job; the target key's `/` and `@` cannot occur in names, so no two collide."""
    return f"{CONFIG_ROOT}/with-key/{job.key}"


def run(
    client: docker.DockerClient,
    config: Config,
    layout: Layout,
    *,
    targets: list[Target],
    image_for: dict[tuple[str, str], str],
    run_id: str,
    jobs: int = 0,
    update_golden: bool = False,
    golden_data: bool = True,
    cache: Path | None = None,
) -> Rendered:
    """Render every target in every environment; fails on any render error, and on data
    that differs from its golden file (unless `update_golden`, which rewrites them).
    Also says what each render used (by target key), for `--changed`, and each one's
    rendered view, for the impact (stored with the render, so that a later run's base
    is a reuse). `golden_data` False skips the golden data
    check; `cache`: where stored renders are (default: the configuration's)."""
    started = time.monotonic()
    estate = Estate.of(config.root, layout)
    render_jobs = jobs_for(targets, config.environments)
    check_data = update_golden or (golden_data and config.golden_dir.is_dir())
    cache = cache or render_cache.cache_dir(config)
    data_template = golden.template(golden.components([r.host for r in layout.own_states()]))
    config_files = _config_files(config, layout, render_jobs)
    files = render_cache.estate_files(config)
    image_ids = {cell: str(client.images.get(tag).id) for cell, tag in image_for.items()}
    settings = {
        job.key: _settings(job, image_ids, layout, config, config_files, data_template)
        for job in render_jobs
    }

    reuses = (
        {}
        if update_golden
        else render_cache.reusable(config, render_jobs, settings, files, check_data, cache)
    )
    used: dict[str, Used | None] = {key: reuse.used for key, reuse in reuses.items()}
    seen: dict[str, RenderedView] = {
        key: reuse.view for key, reuse in reuses.items() if reuse.view is not None
    }
    unseen: dict[str, str] = {}  # target key → why its view could not be read
    to_render = [job for job in render_jobs if job.key not in reuses]
    cases_of: dict[str, list[Case]] = {
        key: [Case(name, "estate.render", 0.0) for name in [key, f"{key} data"][: 1 + check_data]]
        for key in reuses
    }

    def render_job(job: Target) -> list[Case]:
        container = containers[job.cell]
        case, used[job.key] = _render(container, job, estate, config.timeouts["render"])
        cases = [case]
        if check_data:
            cases.append(_check_data(container, job, config, update_golden))
        facts = used[job.key]
        if facts is not None and not any(c.failure for c in cases):
            view = _view(container, job, config.timeouts["render"])
            if isinstance(view, str):
                unseen[job.key] = view
            else:
                seen[job.key] = view
            recorded = render_cache.with_golden_file(config, job, files) if update_golden else files
            render_cache.store(config, job, settings[job.key], recorded, facts, check_data,
                               cache, seen.get(job.key))  # fmt: skip
        else:
            render_cache.forget(job, cache, settings[job.key], files)
        return cases

    containers: dict[tuple[str, str], Container] = {}
    try:
        for cell in sorted({job.cell for job in to_render}):
            containers[cell] = _start(client, layout, image_for[cell], run_id, cell)
        for cell, container in containers.items():
            mine = [job for job in to_render if job.cell == cell]
            put_files(
                container,
                "/",
                {
                    **{path: text for job in mine for path, text in config_files[job.key]},
                    DATA_TEMPLATE.lstrip("/"): data_template,
                },
            )
            if config.gpg_key is not None:
                gpg_keys.import_key(container, config.gpg_key)
        workers = max(1, min(jobs or os.cpu_count() or 1, len(to_render)))
        with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as pool:
            done = pool.map(render_job, to_render)
            cases_of.update(zip([job.key for job in to_render], done, strict=True))
    finally:
        for container in containers.values():
            with contextlib.suppress(docker.errors.NotFound):
                container.remove(force=True)
    cases = [case for job in render_jobs for case in cases_of[job.key]]  # in job order
    failed = [case for case in cases if case.failure]
    message = (
        "\n".join(f"{case.name}:\n{case.failure}" for case in failed)
        if failed
        else f"{len(render_jobs)} minion × environment renders, no errors"
        + (", data as golden" if check_data and not update_golden else "")
        + (
            f" ({len(render_jobs) - len(to_render)} reused: nothing they use changed)"
            if len(to_render) < len(render_jobs)
            else ""
        )
        + (f", golden files written to {config.golden_dir}" if update_golden else "")
    )
    stage = StageResult(
        "render", "failed" if failed else "passed", time.monotonic() - started, message, cases
    )
    used_by_key = {key: facts for key, facts in used.items() if facts is not None}
    return Rendered(stage, used_by_key, seen, unseen)


@dataclass(frozen=True)
class Rendered:
    stage: StageResult
    used: dict[str, Used]  # by target key: what each render used (`selection`)
    views: dict[str, RenderedView]  # by target key: for the impact
    unseen: dict[str, str]  # by target key: why its view could not be read


def _view(container: Container, job: Target, timeout: int) -> RenderedView | str:
    """The job's rendered view (read again without the key), or why it cannot be read:
    the impact says so, the render does not fail for it."""
    try:
        python = images.salt_python(job.platform)
        return rendered_views.collect(container, python, f"{_keyless_dir(job)}/minion", timeout)
    except ValueError as exc:
        return f"could not read what {job.key} renders: {exc}"


def _start(
    client: docker.DockerClient, layout: Layout, image: str, run_id: str, cell: tuple[str, str]
) -> Container:
    platform, salt_version = cell
    container = client.containers.create(
        image,
        command=["sleep", "infinity"],
        name=labels.unique_name(f"saltline-{run_id}-render", platform, salt_version),
        labels=labels.for_run(
            run_id,
            **{labels.PLATFORM: platform, labels.SALT_VERSION: salt_version, labels.KIND: "render"},
        ),
        detach=True,
        network_mode="none",
    )
    estate_view.copy_into(container, layout)
    container.start()
    return container


def _config_files(
    config: Config, layout: Layout, jobs: list[Target]
) -> dict[str, list[tuple[str, str]]]:
    """Two minion configs per job, each with directories of its own (cache, keys,
    sockets, log), by path below / (by job key): one for the highstate, and one without
    the key for golden data, where secrets stay encrypted. Salt creates missing
    directories at start and exits when a concurrent salt-call created one first, so the
    jobs running side by side in one container share none.

    The test key opens the tested environments' secrets only: an environment that is
    not tested (prod) renders its highstate without a key too, each secret left as its
    ciphertext, so it is render-checked on every run with no prod secret on the runner.
    """
    files: dict[str, list[tuple[str, str]]] = {}
    for job in jobs:
        document = yaml.safe_load(minion_config(job, config, layout))
        highstate = {} if job.environment in config.test_environments else _KEYLESS
        files[job.key] = [
            (
                f"{directory.lstrip('/')}/minion",
                yaml.safe_dump(
                    {**document, **keys, **_own_directories(directory)}, sort_keys=False
                ),
            )
            for directory, keys in ((config_dir(job), highstate), (_keyless_dir(job), _KEYLESS))
        ]
    return files


def _own_directories(directory: str) -> dict[str, str]:
    """Every directory salt-call creates at start (extension_modules is not below cachedir
    unless set: its default is the shared /var/cache/salt/minion/extmods)."""
    return {
        "cachedir": f"{directory}/cache",
        "extension_modules": f"{directory}/cache/extmods",
        "pki_dir": f"{directory}/pki",
        "sock_dir": f"{directory}/sock",
        "log_file": f"{directory}/log",
    }


def _settings(
    job: Target,
    image_ids: dict[tuple[str, str], str],
    layout: Layout,
    config: Config,
    config_files: dict[str, list[tuple[str, str]]],
    data_template: str,
) -> str:
    """What a render depends on besides the estate's files: a stored render is reused
    only with the same settings."""
    return render_cache.settings_digest(
        image_ids[job.cell],
        *(text for _, text in config_files[job.key]),
        data_template,
        _LOW_AND_PILLAR_TOP,
        *(
            f"{_shown(root.host, config.root)}:{root.mount}"
            for root in (*layout.states, *layout.pillar)
        ),
        config.gpg_key.read_bytes() if config.gpg_key is not None else b"",
    )


def _shown(path: Path, root: Path) -> str:
    """A root's path as a render depends on it: relative to the configuration, so that a
    commit's export (the impact's base) reuses what the checkout rendered."""
    return (
        path.relative_to(root.resolve()).as_posix()
        if path.is_relative_to(root.resolve())
        else str(path)
    )


_KEYLESS = {"gpg_keydir": f"{CONFIG_ROOT}/no-gpg-keys", "gpg_decrypt_must_succeed": False}


def _keyless_dir(job: Target) -> str:
    return f"{CONFIG_ROOT}/keyless/{job.key}"


def hung(job: Target, what: str, timeout: int) -> str:
    """Why a render was stopped: a template that waits, most likely."""
    return (
        f"rendering {what} for {job.minion.name} in {job.environment} did not finish within "
        f"{timeout}s (timeouts.render); look for a template that waits, such as "
        "`salt['cmd.run']` of a command that never returns, in the SLS and pillar it includes"
    )


def _check_data(container: Container, job: Target, config: Config, update: bool) -> Case:
    """The job's pillar and map.jinja data against its golden file (or written to it)."""
    started = time.monotonic()
    command = [
        "salt-call", "--config-dir", _keyless_dir(job), "--local", "--out=json",
        "--log-level=critical", "slsutil.renderer", f"path={DATA_TEMPLATE}",
        "default_renderer=jinja",
    ]  # fmt: skip
    path = golden.path_for(config.golden_dir, job)
    shown = str(path.relative_to(config.root)) if path.is_relative_to(config.root) else str(path)
    timeout = config.timeouts["render"]
    try:
        done = run_command(container, command, timeout)
    except CommandTimeout:
        return Case(
            name=f"{job.key} data",
            classname="estate.render",
            duration=time.monotonic() - started,
            failure=f"{shown}: {hung(job, 'its pillar and map.jinja data', timeout)}",
        )
    try:
        actual = golden.to_yaml(golden.parse_rendered(done.stdout), job)
    except (ValueError, KeyError) as exc:  # json.JSONDecodeError is a ValueError
        failure: str | None = f"{shown}: could not render the data ({exc}): {done.stderr[-2000:]}"
    else:
        if update:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(actual)
            failure = None
        else:
            expected = path.read_text() if path.is_file() else None
            failure = golden.difference(expected, actual, shown)
    return Case(
        name=f"{job.key} data",
        classname="estate.render",
        duration=time.monotonic() - started,
        failure=failure,
    )


# One Salt process per job: the low state (every state with its SLS and arguments) and
# the pillar SLS the minion's pillar top assigns it (what `--changed` attributes by).
_LOW_AND_PILLAR_TOP = """
import json, sys, salt.client, salt.config, salt.pillar
caller = salt.client.Caller(mopts=salt.config.minion_config(sys.argv[1]))
low = caller.cmd("state.show_lowstate")
opts = caller.sminion.opts
env = opts.get("pillarenv")
pillar = salt.pillar.Pillar(opts, opts["grains"], opts["id"], "base", pillarenv=env)
top, errors = pillar.get_top()
matched = pillar.top_matches(top) if not errors else {}
print(json.dumps({"low": low, "pillar": sorted({s for names in matched.values() for s in names})}))
"""


def _lowstate(
    container: Container, job: Target, timeout: int
) -> tuple[list[dict[str, Any]], set[str]]:
    """The job's low state, and its pillar SLS (empty when either cannot be read: the
    mock apply has already said what is wrong)."""
    python = images.salt_python(job.platform)
    command = [python, "-c", _LOW_AND_PILLAR_TOP, f"{config_dir(job)}/minion"]
    done = run_command(container, command, timeout)
    try:
        document = json.loads(done.stdout.strip().splitlines()[-1])
        lowstate, pillar = document["low"], document["pillar"]
    except (ValueError, IndexError, KeyError, TypeError):
        return [], set()
    chunks = (
        [chunk for chunk in lowstate if isinstance(chunk, dict)]
        if isinstance(lowstate, list)
        else []
    )
    return chunks, {str(name) for name in pillar}


def used_by(lowstate: list[dict[str, Any]], pillar: set[str]) -> Used:
    """The SLS and the salt:// paths of a low state, and the pillar SLS."""
    paths = {
        sources.relative_path(url)
        for chunk in lowstate
        for _, alternatives in sources.salt_urls(chunk)
        for url in alternatives
    }
    return Used(
        sls={str(chunk["__sls__"]) for chunk in lowstate if "__sls__" in chunk},
        sources={path for path in paths if path},
        pillar=pillar,
    )


def _render(
    container: Container, job: Target, estate: Estate, timeout: int
) -> tuple[Case, Used | None]:
    started = time.monotonic()
    command = [
        "salt-call", "--config-dir", config_dir(job), "--local", "--out=json",
        "--log-level=critical", "state.apply", "mock=True",
    ]  # fmt: skip
    top = estate.shown(estate.file("top.sls"))
    used = None
    try:
        done = run_command(container, command, timeout)
        run = parse_apply(done.stdout, done.stderr, done.exit_code)
        errors = locate(run, done.stderr, estate)
        if not errors:
            lowstate, pillar = _lowstate(container, job, timeout)
            used = used_by(lowstate, pillar)
            errors = sources.missing(lowstate, estate)
    except CommandTimeout:
        errors = [RenderError(top, 0, hung(job, "its highstate", timeout))]
    except SaltOutputError as exc:
        errors = [RenderError(estate.shown(estate.first_root), 0, str(exc))]
    case = Case(
        name=job.key,
        classname="estate.render",
        duration=time.monotonic() - started,
        failure="\n".join(map(str, errors)) or None,
    )
    return case, used
