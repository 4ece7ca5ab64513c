"""The package cache: one apt-cacher-ng container per engine, shared by every test run.

A run attaches the cache to each of its networks, where minions find it by name, and
detaches it when the network goes. The cache and its volume outlive runs (that is the
point); they carry `io.saltline.cache`, not a run's labels, so neither `destroy` nor
the reaper removes them: `saltline cache clear` does. Runs that start together both
find or create the one container: the loser of the name race uses the winner's.
"""

from __future__ import annotations

from dataclasses import dataclass

import docker
import docker.errors
from docker.models.containers import Container

from saltline.engine.containers import run_command

NAME = "saltline-apt-cache"
VOLUME = "saltline-apt-cache"
PORT = 3142
LABEL = "io.saltline.cache"
URL = f"http://{NAME}:{PORT}"
# Where minions read it from: apt sends http:// downloads through the proxy (https
# ones, such as a third-party repository's, go direct).
APT_CONF_PATH = "/etc/apt/apt.conf.d/00saltline-package-cache"
APT_CONF = f'Acquire::http::Proxy "{URL}";\n'
_STORE = "/var/cache/apt-cacher-ng"


def ensure(client: docker.DockerClient, image: str) -> Container:
    """The running cache container, started from `image` if there is none."""
    try:
        container = client.containers.get(NAME)
    except docker.errors.NotFound:
        container = _create(client, image)
    if container.status != "running":
        container.start()
    return container


def _create(client: docker.DockerClient, image: str) -> Container:
    try:
        return client.containers.run(
            image,
            name=NAME,
            detach=True,
            labels={LABEL: "apt"},
            volumes={_volume(client): {"bind": _STORE, "mode": "rw"}},
        )
    except docker.errors.APIError as exc:
        if exc.status_code != 409:  # 409: another run created it first
            raise
        return client.containers.get(NAME)


def _volume(client: docker.DockerClient) -> str:
    try:
        client.volumes.get(VOLUME)
    except docker.errors.NotFound:
        client.volumes.create(VOLUME, labels={LABEL: "apt"})
    return VOLUME


def attach(client: docker.DockerClient, network: str) -> None:
    """Make the cache reachable as `saltline-apt-cache` on a run's network."""
    client.networks.get(network).connect(NAME)


@dataclass(frozen=True)
class Status:
    running: bool
    size_bytes: int  # of what it holds, 0 when there is no cache
    packages: int  # .deb files held
    attached: list[str]  # networks of runs using it now


def status(client: docker.DockerClient) -> Status | None:
    """What the cache holds and who uses it; None when there is no cache."""
    try:
        container = client.containers.get(NAME)
    except docker.errors.NotFound:
        return None
    networks = list((container.attrs.get("NetworkSettings") or {}).get("Networks") or {})
    attached = [name for name in networks if name not in ("bridge", "host", "none")]
    if container.status != "running":
        return Status(False, 0, 0, attached)
    size = run_command(container, ["du", "-sb", _STORE]).stdout.split()
    packages = run_command(container, ["find", _STORE, "-name", "*.deb"]).stdout.split()
    return Status(True, int(size[0]) if size else 0, len(packages), attached)


def clear(client: docker.DockerClient) -> bool:
    """Remove the cache container and its volume; False when there was none."""
    found = False
    try:
        client.containers.get(NAME).remove(force=True)
        found = True
    except docker.errors.NotFound:
        pass
    try:
        client.volumes.get(VOLUME).remove(force=True)
        found = True
    except docker.errors.NotFound:
        pass
    return found
