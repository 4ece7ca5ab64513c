"""How saltline reaches a salt-master: `docker exec` for the local fleet, ssh for real ones.

A transport runs a command (arguments passed separately, never through a local
shell) and unpacks a tar into a directory; nothing else.
"""

from __future__ import annotations

import shlex
from typing import Protocol

import docker
import docker.errors

from saltline import process
from saltline.engine.containers import CommandResult, run_command
from saltline.errors import MasterUnreachable, SaltlineError
from saltline.master_url import MasterAddress

SSH_OPTIONS = ["-o", "BatchMode=yes", "-o", "ConnectTimeout=10", "-o", "ServerAliveInterval=15"]


class Transport(Protocol):
    address: MasterAddress

    def run(self, command: list[str], stdin: bytes | None = None) -> CommandResult: ...

    def unpack(self, directory: str, tar: bytes) -> None: ...


class DockerTransport:
    """A master in a local container (`docker://name`)."""

    def __init__(self, client: docker.DockerClient, address: MasterAddress):
        self.address = address
        try:
            self.container = client.containers.get(address.host)
        except docker.errors.NotFound:
            raise MasterUnreachable(
                f"master {address}: no container named {address.host!r}; start the local fleet "
                "with `saltline fleet up`"
            ) from None
        if self.container.status != "running":
            raise MasterUnreachable(f"master {address}: container is {self.container.status}")

    def run(self, command: list[str], stdin: bytes | None = None) -> CommandResult:
        if stdin is not None:
            raise ValueError("DockerTransport.run takes no stdin; use unpack for files")
        return run_command(self.container, command)

    def unpack(self, directory: str, tar: bytes) -> None:
        if not self.container.put_archive(directory, tar):
            raise SaltlineError(f"master {self.address}: could not unpack into {directory}")


class SshTransport:
    """A real master (`ssh://user@host[:port]`), through the ssh client and its agent/keys."""

    def __init__(self, address: MasterAddress):
        self.address = address
        self.destination = ["-p", str(address.port), f"{address.user}@{address.host}"]
        probe = self.run(["true"])
        if probe.exit_code != 0:
            raise MasterUnreachable(f"master {address}: ssh failed: {probe.stderr.strip()[-300:]}")

    def run(self, command: list[str], stdin: bytes | None = None) -> CommandResult:
        done = process.run_bytes(
            ["ssh", *SSH_OPTIONS, *self.destination, "--", shlex.join(command)], stdin=stdin
        )
        return CommandResult(
            done.returncode,
            done.stdout.decode(errors="replace"),
            done.stderr.decode(errors="replace"),
        )

    def unpack(self, directory: str, tar: bytes) -> None:
        done = self.run(["tar", "-x", "-C", directory], stdin=tar)
        if done.exit_code != 0:
            raise SaltlineError(f"master {self.address}: unpacking failed: {done.stderr.strip()}")


def open_transport(address: MasterAddress, client: docker.DockerClient | None) -> Transport:
    """A checked connection to a master; raises MasterUnreachable (exit 2) if there is none."""
    if address.scheme == "docker":
        if client is None:
            raise SaltlineError(f"master {address} needs a Docker engine")
        return DockerTransport(client, address)
    return SshTransport(address)
