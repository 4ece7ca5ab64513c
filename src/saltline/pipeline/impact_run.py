"""The impact of a change: the base's views and the working tree's, compared per target.

The working tree's views come from the render stage (`render.run(views=True)`); the
base's from `base_render`. Every rendered target counts, in every environment: prod
too, read without its key like every other.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import docker

from saltline.config import Config, Target
from saltline.pipeline.base_render import BaseUnavailable, render_base
from saltline.pipeline.impact import Impact, StateChange, compare
from saltline.pipeline.render import Rendered
from saltline.pipeline.render_errors import Estate, line_of


def analyse(
    client: docker.DockerClient,
    config: Config,
    estate: Estate,
    targets: list[Target],
    head: Rendered,
    base: str,
    run_id: str,
    jobs: int,
    say: Callable[[str], None],
) -> Impact:
    """Each rendered target's impact since commit `base`; what prevents one is said
    (`Impact.unavailable`), never raised: the impact never fails a run."""
    try:
        before = render_base(client, config, targets, base, run_id, jobs, say)
    except BaseUnavailable as exc:
        return Impact(base, unavailable=str(exc))
    unseen = {**before.unseen, **head.unseen}
    impacts = {}
    for key in sorted((head.views.keys() | before.views.keys()) - unseen.keys()):
        impact = compare(before.views.get(key), head.views.get(key))
        impacts[key] = dataclasses.replace(
            impact,
            states_added=_located(impact.states_added, estate),
            states_removed=_located(impact.states_removed, before.estate),
            states_changed=_located(impact.states_changed, estate),
        )
    platforms = sorted(
        name
        for name, platform in config.platforms.items()
        if name in before.config.platforms and before.config.platforms[name] != platform
    )
    return Impact(base, impacts, unseen=unseen, platforms_changed=platforms)


def _located(changes: list[StateChange], estate: Estate) -> list[StateChange]:
    """Each change with the SLS file and line of its state ID."""
    located = []
    for change in changes:
        file = estate.sls_file(change.sls)
        line = line_of(file, f"{change.id}:")  # 0: an ID Jinja makes, not in the file as such
        where = f"{estate.shown(file)}:{line}" if line else estate.shown(file)
        located.append(dataclasses.replace(change, where=where))
    return located
