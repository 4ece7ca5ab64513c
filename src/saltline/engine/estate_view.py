"""How Salt in a container sees the estate: its roots mounted read-only, and a minion's grains.

Test minions, render containers and the local fleet's minions all use these, so a
state that reads a grain sees the same value in each.
"""

from __future__ import annotations

from typing import Any

from saltline.config import Config, Minion
from saltline.estate.layout import Layout


def mounts(layout: Layout) -> dict[str, dict[str, str]]:
    """Docker SDK volumes: every state and pillar root, read-only."""
    return {
        str(root.host): {"bind": root.mount, "mode": "ro"}
        for root in (*layout.states, *layout.pillar)
    }


def salt_roots(config: Config, layout: Layout, environment: str) -> dict[str, Any]:
    """Minion options: file_roots, pillar_roots and the environment's pillarenv, if any."""
    pillar = [root.mount for root in layout.pillar]
    options: dict[str, Any] = {
        "file_roots": {"base": [root.mount for root in layout.states]},
        "pillar_roots": {env: pillar for env in ("base", *config.environments)},
    }
    if layout.pillarenvs.get(environment):
        options["pillarenv"] = layout.pillarenvs[environment]
    return options


def grains(minion: Minion, environment: str, platform: str) -> dict[str, Any]:
    """The minion's own grains, its roles, and where saltline runs it."""
    return {
        **minion.grains,
        "roles": list(minion.roles),
        "saltline_environment": environment,
        "saltline_platform": platform,
    }
