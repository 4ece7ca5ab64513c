"""Helpers for containers that run systemd as PID 1: create, copy a file in, wait for boot."""

from __future__ import annotations

import io
import tarfile
import time
from typing import Any

import docker
from docker.models.containers import Container

SYSTEMD_BOOT_TIMEOUT = 90


def create_systemd_container(
    client: docker.DockerClient,
    image: str,
    *,
    name: str,
    hostname: str,
    labels: dict[str, str],
    network: str,
    volumes: dict[str, dict[str, str]] | None = None,
) -> Container:
    """A created (not started) container with systemd as PID 1, on `network` as `hostname`.

    Without --privileged, which fails on some engines (see DESIGN.md).
    """
    options: dict[str, Any] = {
        "cap_add": ["SYS_ADMIN"],
        "security_opt": ["seccomp=unconfined"],
        "cgroupns": "host",
        "tmpfs": {"/run": "", "/run/lock": ""},
    }
    return client.containers.create(
        image,
        name=name,
        hostname=hostname,
        labels=labels,
        detach=True,
        volumes={"/sys/fs/cgroup": {"bind": "/sys/fs/cgroup", "mode": "rw"}, **(volumes or {})},
        network=network,
        networking_config={network: client.api.create_endpoint_config(aliases=[hostname])},
        **options,
    )


def put_file(container: Container, directory: str, name: str, text: str) -> None:
    """Write a text file into a (created or running) container."""
    data = text.encode()
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        info = tarfile.TarInfo(name)
        info.size, info.mode = len(data), 0o644
        archive.addfile(info, io.BytesIO(data))
    container.put_archive(directory, buffer.getvalue())


def wait_for_systemd(container: Container) -> None:
    """Until systemd reports running (or degraded: a unit failed, the system is up)."""
    deadline = time.monotonic() + SYSTEMD_BOOT_TIMEOUT
    state = ""
    while time.monotonic() < deadline:
        _, output = container.exec_run(["systemctl", "is-system-running"])
        state = output.decode(errors="replace").strip()
        if state in ("running", "degraded"):
            return
        time.sleep(0.2)
    raise RuntimeError(
        f"systemd in {container.name} did not finish booting within "
        f"{SYSTEMD_BOOT_TIMEOUT}s (state: {state or 'unknown'})"
    )
