"""Remove what saltline created: containers, networks and volumes carrying its labels."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field

import docker
import docker.errors

from saltline.engine import labels


@dataclass
class Removed:
    containers: list[str] = field(default_factory=list)
    networks: list[str] = field(default_factory=list)
    volumes: list[str] = field(default_factory=list)


def remove_run(client: docker.DockerClient, run_id: str) -> Removed:
    """Everything of one `saltline test` run."""
    return _remove(client, {"label": f"{labels.RUN}={run_id}"})


def remove_all(client: docker.DockerClient) -> Removed:
    """Everything saltline ever created on this engine (`saltline destroy`); images stay."""
    return _remove(client, labels.MANAGED_FILTER)


def _remove(client: docker.DockerClient, filters: labels.Filters) -> Removed:
    removed = Removed()
    # Containers first: a network or volume in use cannot be removed.
    for container in client.containers.list(all=True, filters=filters):
        _ignore_gone(functools.partial(container.remove, force=True, v=True))
        removed.containers.append(str(container.name))
    for network in client.networks.list(filters=filters):
        _ignore_gone(network.remove)
        removed.networks.append(str(network.name))
    for volume in client.volumes.list(filters=filters):
        _ignore_gone(functools.partial(volume.remove, force=True))
        removed.volumes.append(str(volume.name))
    return removed


def _ignore_gone(remove: Callable[[], object]) -> None:
    try:
        remove()
    except docker.errors.NotFound:
        pass  # removed meanwhile, by another cleanup
    except docker.errors.APIError as exc:
        if "removal of container" in str(exc) and "already in progress" in str(exc):
            return
        raise
