"""How Salt in a container sees the estate: its roots copied in, and a minion's grains.

Test minions, render containers and the local fleet's minions all use these, so a
state that reads a grain sees the same value in each. The roots travel through the
engine's API (a tar put into the container before it starts), never as bind mounts
of this machine's paths: an engine on another host (`DOCKER_HOST`, a `docker:dind`
service) works unchanged.
"""

from __future__ import annotations

import functools
import io
import tarfile
from typing import Any

from docker.models.containers import Container

from saltline.config import OWN_OUTPUTS, Config, Minion
from saltline.errors import ContainerError
from saltline.estate.layout import Layout

# Never copied from the top of a root: a formula repository's root is the repository
_NOT_ESTATE = frozenset({".git", ".venv", ".tox", *OWN_OUTPUTS})


def copy_into(container: Container, layout: Layout) -> None:
    """Every state and pillar root into a created container, at its mount path."""
    roots = tuple((str(root.host), root.mount) for root in (*layout.states, *layout.pillar))
    if not container.put_archive("/", _archive(roots)):
        raise ContainerError(f"{container.name}: the engine did not take the estate's files")


@functools.lru_cache(maxsize=4)
def _archive(roots: tuple[tuple[str, str], ...]) -> bytes:
    """The roots as one tar, each at its mount path (built once per run)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for host, mount in roots:
            top = mount.strip("/")

            def keep(info: tarfile.TarInfo, top: str = top) -> tarfile.TarInfo | None:
                inside = info.name[len(top) :].lstrip("/")
                if inside.split("/", 1)[0] in _NOT_ESTATE or "__pycache__" in info.name:
                    return None
                return info

            tar.add(host, arcname=top, filter=keep)
    return buffer.getvalue()


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
