"""How saltline reaches a salt-master: `docker exec` for the local fleet, ssh for real ones.

A transport runs a command (arguments passed separately, never through a local
shell) and unpacks a tar into a directory; nothing else. Every command has a timeout
(`promotion.timeout` plus a margin): a hung connection fails the command, it never
holds a deploy lease forever.
"""

from __future__ import annotations

import shlex
from typing import Protocol

import docker
import docker.errors

from saltline import process
from saltline.engine.containers import CommandResult, run_command
from saltline.errors import CommandTimeout, MasterUnreachable, SaltlineError
from saltline.master_url import MasterAddress

SSH_OPTIONS = [
    "-o", "BatchMode=yes", "-o", "ConnectTimeout=10",
    "-o", "ServerAliveInterval=5", "-o", "ServerAliveCountMax=3",
]  # fmt: skip


class Transport(Protocol):
    address: MasterAddress

    def run(self, command: list[str], stdin: bytes | None = None) -> CommandResult: ...

    def unpack(self, directory: str, tar: bytes) -> None: ...


class DockerTransport:
    """A master in a local container (`docker://name`)."""

    def __init__(self, client: docker.DockerClient, address: MasterAddress, timeout: int):
        self.address = address
        self.timeout = timeout
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
        try:
            return run_command(self.container, command, self.timeout)
        except docker.errors.APIError as exc:  # stopped or removed meanwhile
            raise MasterUnreachable(f"master {self.address}: {exc.explanation or exc}") from None

    def unpack(self, directory: str, tar: bytes) -> None:
        if not self.container.put_archive(directory, tar):
            raise SaltlineError(f"master {self.address}: could not unpack into {directory}")


class SshTransport:
    """A real master (`ssh://user@host[:port]`), through the ssh client and its agent/keys."""

    def __init__(self, address: MasterAddress, timeout: int, options: list[str] | None = None):
        self.address = address
        self.timeout = timeout
        host = address.host.strip("[]")  # ssh takes an IPv6 literal without brackets
        self.destination = [*(options or []), "-p", str(address.port), f"{address.user}@{host}"]
        probe = self.run(["true"])
        if probe.exit_code != 0:
            raise MasterUnreachable(f"master {address}: ssh failed: {probe.stderr.strip()[-300:]}")

    def run(self, command: list[str], stdin: bytes | None = None) -> CommandResult:
        try:
            done = process.run_bytes(
                ["ssh", *SSH_OPTIONS, *self.destination, "--", shlex.join(command)],
                stdin=stdin, timeout=self.timeout,
            )  # fmt: skip
        except CommandTimeout:
            raise CommandTimeout(
                f"master {self.address}: {command[0]} did not finish within {self.timeout}s "
                "(a hung connection?)"
            ) from None
        return CommandResult(
            done.returncode,
            done.stdout.decode(errors="replace"),
            done.stderr.decode(errors="replace"),
        )

    def unpack(self, directory: str, tar: bytes) -> None:
        done = self.run(["tar", "-x", "-C", directory], stdin=tar)
        if done.exit_code != 0:
            raise SaltlineError(f"master {self.address}: unpacking failed: {done.stderr.strip()}")


def open_transport(
    address: MasterAddress,
    client: docker.DockerClient | None,
    timeout: int,
    ssh_options: list[str] | None = None,
) -> Transport:
    """A checked connection to a master; raises MasterUnreachable (exit 2) if there is none."""
    if address.scheme == "docker":
        if client is None:
            raise SaltlineError(f"master {address} needs a Docker engine")
        return DockerTransport(client, address, timeout)
    return SshTransport(address, timeout, ssh_options)
