"""Remove what saltline created: containers, networks and volumes carrying its labels.

`destroy` removes every test run's objects but never the local fleet (only `fleet
down` does: it holds release history and audit logs). `reap` removes what runs that
are gone left behind: a run of this host whose process has exited, or any run older
than `MAX_RUN_AGE` (a run on another host sharing the engine); never a live run, and
never what a run was asked to keep.
"""

from __future__ import annotations

import functools
import os
import socket
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import docker
import docker.errors

from saltline.engine import labels

MAX_RUN_AGE = 24 * 3600  # seconds; no run of another host lives longer than CI's own limits


@dataclass
class Removed:
    containers: list[str] = field(default_factory=list)
    networks: list[str] = field(default_factory=list)
    volumes: list[str] = field(default_factory=list)


def remove_run(client: docker.DockerClient, run_id: str) -> Removed:
    """Everything of one `saltline test` run."""
    return _remove(client, {"label": f"{labels.RUN}={run_id}"}, lambda _: True)


def remove_all(client: docker.DockerClient) -> Removed:
    """Everything saltline's test runs created on this engine (`saltline destroy`); the
    local fleet and images stay."""
    return _remove(client, labels.MANAGED_FILTER, of_a_test_run)


def of_a_test_run(found: Mapping[str, str]) -> bool:
    """What `destroy` removes: saltline's objects, except the local fleet's."""
    return found.get(labels.MANAGED) == "true" and labels.FLEET not in found


def reap(client: docker.DockerClient, now: float | None = None) -> Removed:
    """What earlier runs left behind when their process is gone (SIGKILL, OOM, a CI
    runner's hard timeout); objects of a live run, and the fleet, stay."""
    moment = time.time() if now is None else now
    host = socket.gethostname()
    return _remove(client, labels.MANAGED_FILTER, lambda found: abandoned(found, host, moment))


def abandoned(found: Mapping[str, str], host: str, now: float) -> bool:
    """Whether an object with these labels belongs to a run that is gone."""
    if labels.FLEET in found or labels.RUN not in found:
        return False
    if labels.KEPT in found:
        return False  # asked to stay (`test --keep`): `destroy` removes it
    try:
        started = float(found.get(labels.STARTED, "0"))
        pid = int(found.get(labels.OWNER_PID, "0"))
    except ValueError:
        return True  # labels we did not write this way: an old saltline's run
    if now - started > MAX_RUN_AGE:
        return True
    return found.get(labels.OWNER_HOST) == host and not _alive(pid)


def _alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    return True


def _remove(
    client: docker.DockerClient,
    filters: labels.Filters,
    wanted: Callable[[Mapping[str, str]], bool],
) -> Removed:
    removed = Removed()
    # Containers first: a network or volume in use cannot be removed. A container that
    # another run removes between the listing and its inspection is skipped, not fatal.
    for container in client.containers.list(all=True, filters=filters, ignore_removed=True):
        if wanted(container.labels):
            _ignore_gone(functools.partial(container.remove, force=True, v=True))
            removed.containers.append(str(container.name))
    for network in client.networks.list(filters=filters):
        if wanted(network.attrs.get("Labels") or {}):
            _detach_others(client, str(network.id))
            _ignore_gone(network.remove)
            removed.networks.append(str(network.name))
    for volume in client.volumes.list(filters=filters):
        if wanted(volume.attrs.get("Labels") or {}):
            _ignore_gone(functools.partial(volume.remove, force=True))
            removed.volumes.append(str(volume.name))
    return removed


def _detach_others(client: docker.DockerClient, network_id: str) -> None:
    """Disconnect what is still attached once the run's containers are gone (the shared
    package cache): a network with endpoints cannot be removed."""
    try:
        attached = client.api.inspect_network(network_id).get("Containers") or {}
    except docker.errors.NotFound:
        return
    for container_id in attached:
        _ignore_gone(
            functools.partial(
                client.api.disconnect_container_from_network, container_id, network_id, force=True
            )
        )


def _ignore_gone(remove: Callable[[], object]) -> None:
    try:
        remove()
    except docker.errors.NotFound:
        pass  # removed meanwhile, by another cleanup
    except docker.errors.APIError as exc:
        if "removal of container" in str(exc) and "already in progress" in str(exc):
            return
        raise
