"""The impact's other side: what the base commit renders, for the same targets.

The base is exported from git (`estate.exports`, as a release of it would ship) and
rendered with its own configuration and roots, in every environment, read as views
(`rendered_views`). Its renders are stored in, and reused from, the checkout's render
cache: a base that a run on the default branch rendered already costs no render.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import docker

from saltline.config import Config, Target, load
from saltline.engine.images import Images
from saltline.errors import SaltlineError
from saltline.estate import exports, layout
from saltline.pipeline import render, render_cache
from saltline.pipeline.impact import RenderedView
from saltline.pipeline.render_errors import Estate


class BaseUnavailable(SaltlineError):
    """The base cannot be rendered: the impact says why, the run goes on without it."""


@dataclasses.dataclass(frozen=True)
class BaseRender:
    views: dict[str, RenderedView]  # by target key
    unseen: dict[str, str]  # by target key: why its view could not be read
    estate: Estate  # where its SLS files are, for file:line
    config: Config


def render_base(
    client: docker.DockerClient,
    config: Config,
    targets: list[Target],
    base: str,
    run_id: str,
    jobs: int,
    say: Callable[[str], None],
) -> BaseRender:
    """The views of `targets` (the head's) as commit `base` renders them."""
    try:
        root = exports.export(config.root, base, ".")
        base_config = dataclasses.replace(load(root / config.path.name), ca_bundle=config.ca_bundle)
        base_layout = layout.resolve(base_config, say)
    except SaltlineError as exc:
        raise BaseUnavailable(f"the base {base[:12]} cannot be read: {exc}") from None
    base_targets = _same_targets(base_config, targets)
    if not base_targets:
        return BaseRender({}, {}, Estate.of(base_config.root, base_layout), base_config)
    images = Images(client, base_config, log=say)
    cells = {target.cell: target for target in base_targets}
    image_for = {
        cell: images.ensure_minion(target.platform, target.salt_version)
        for cell, target in cells.items()
    }
    rendered = render.run(
        client,
        base_config,
        base_layout,
        targets=base_targets,
        image_for=image_for,
        run_id=run_id,
        jobs=jobs,
        golden_data=False,
        cache=render_cache.cache_dir(config),
    )
    if not rendered.stage.passed:
        raise BaseUnavailable(
            f"the base {base[:12]} does not render: {rendered.stage.message.splitlines()[0]}"
        )
    return BaseRender(
        rendered.views, rendered.unseen, Estate.of(base_config.root, base_layout), base_config
    )


def _same_targets(base_config: Config, targets: list[Target]) -> list[Target]:
    """The head's targets as the base declares them (a minion or platform the base does
    not have is left out: all it renders is new)."""
    found = []
    for target in targets:
        minion = base_config.minions.get(target.minion.name)
        platform = base_config.platforms.get(target.platform.name)
        if minion is not None and platform is not None:
            found.append(Target(minion, platform, target.environment, target.salt_version))
    return found
