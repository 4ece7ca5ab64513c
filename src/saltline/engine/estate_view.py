"""How Salt in a container sees the estate: its roots mounted read-only, and a minion's grains.

Test minions, render containers and the local fleet's minions all use these, so a
state that reads a grain sees the same value in each.
"""

from __future__ import annotations

from typing import Any

from saltline.config import Config, Minion

STATE_ROOT = "/srv/salt"
PILLAR_ROOT = "/srv/pillar"


def mounts(config: Config) -> dict[str, dict[str, str]]:
    """Docker SDK volumes: the estate's states and pillar, read-only."""
    return {
        str(config.state_dir.resolve()): {"bind": STATE_ROOT, "mode": "ro"},
        str(config.pillar_dir.resolve()): {"bind": PILLAR_ROOT, "mode": "ro"},
    }


def grains(minion: Minion, environment: str, platform: str) -> dict[str, Any]:
    """The minion's own grains, its roles, and where saltline runs it."""
    return {
        **minion.grains,
        "roles": list(minion.roles),
        "saltline_environment": environment,
        "saltline_platform": platform,
    }
