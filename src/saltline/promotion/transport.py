"""How saltline reaches a salt-master: `docker exec` for the local fleet, ssh for real ones.

A transport runs a command (arguments passed separately, never through a local
shell) and unpacks a tar into a directory; nothing else. Every command has a timeout
(`promotion.timeout` plus a margin): a hung connection fails the command, it never
holds a deploy lease forever.
"""

from __future__ import annotations

import copy
import json
import os
import shlex
import time
from pathlib import Path
from typing import Protocol, Self

import docker
import docker.errors

from saltline import process
from saltline.engine.containers import CommandResult, run_command
from saltline.errors import (
    CommandTimeout,
    ContainerError,
    MasterError,
    MasterUnreachable,
    SaltlineError,
)
from saltline.master_url import MasterAddress
from saltline.promotion import ssh_sharing

SSH_OPTIONS = [
    "-o", "BatchMode=yes", "-o", "ConnectTimeout=10",
    "-o", "ServerAliveInterval=5", "-o", "ServerAliveCountMax=3",
]  # fmt: skip


class Transport(Protocol):
    address: MasterAddress

    def run(self, command: list[str], stdin: bytes | None = None) -> CommandResult: ...

    def limited(self, seconds: int) -> Transport: ...

    def check(
        self, command: list[str], ok: tuple[int, ...] = (0,), stdin: bytes | None = None
    ) -> CommandResult: ...

    def unpack(self, directory: str, tar: bytes) -> None: ...


# A file to which every master command is appended as a JSON line (master, command,
# seconds): how bench/promotion.py counts a promotion's remote commands.
TRACE = "SALTLINE_TRACE_COMMANDS"


def _trace(address: MasterAddress, command: list[str], started: float) -> None:
    path = os.environ.get(TRACE)
    if path:
        if command[:2] == ["sh", "-c"]:  # a remote script: the function it ends calling
            command = [command[2].rstrip().rsplit("\n", 1)[-1].split()[0], *command[4:]]
        line = {"master": str(address), "command": shlex.join(command)[:200],
                "seconds": round(time.monotonic() - started, 3)}  # fmt: skip
        with open(path, "a", encoding="utf-8") as trace:
            trace.write(json.dumps(line) + "\n")


class CommandChecks:
    """`check`: `run`, raising MasterError with the command and what it said when its exit
    code is not one of `ok` (as testinfra's `run_expect`); `limited`: the same transport
    with a shorter timeout, for commands of a quicker kind (metadata: a link, the lease,
    a history line), so a hung master costs seconds, not a highstate's timeout."""

    address: MasterAddress
    timeout: int

    def limited(self, seconds: int) -> Self:
        clone = copy.copy(self)
        clone.timeout = min(self.timeout, seconds)
        return clone

    def run(self, command: list[str], stdin: bytes | None = None) -> CommandResult:
        raise NotImplementedError

    def check(
        self, command: list[str], ok: tuple[int, ...] = (0,), stdin: bytes | None = None
    ) -> CommandResult:
        done = self.run(command, stdin)
        if done.exit_code not in ok:
            shown = command[0] if command[:2] != ["sh", "-c"] else "a script"
            raise MasterError(
                self.address, f"{shown} failed (exit {done.exit_code}): {done.tail() or '-'}"
            )
        return done


class DockerTransport(CommandChecks):
    """A master in a local container (`docker://name`)."""

    def __init__(self, client: docker.DockerClient, address: MasterAddress, timeout: int):
        self.address = address
        self.timeout = timeout
        try:
            self.container = client.containers.get(address.host)
        except docker.errors.NotFound:
            raise MasterUnreachable(
                address,
                f"no container named {address.host!r}; start the local fleet "
                "with `saltline fleet up`",
            ) from None
        if self.container.status != "running":
            raise MasterUnreachable(address, f"container is {self.container.status}")

    def run(self, command: list[str], stdin: bytes | None = None) -> CommandResult:
        if stdin is not None:
            raise ValueError("DockerTransport.run takes no stdin; use unpack for files")
        started = time.monotonic()
        try:
            return run_command(self.container, command, self.timeout)
        except docker.errors.APIError as exc:  # stopped or removed meanwhile
            raise MasterUnreachable(self.address, str(exc.explanation or exc)) from None
        except ContainerError as exc:
            raise MasterError(self.address, str(exc)) from None
        finally:
            _trace(self.address, command, started)

    def unpack(self, directory: str, tar: bytes) -> None:
        if not self.container.put_archive(directory, tar):
            raise MasterError(self.address, f"could not unpack into {directory}")


def ssh_command(
    address: MasterAddress, config: Path | None, command: list[str], sharing: bool = False
) -> list[str]:
    """The ssh client's command line for running `command` on a master (`sharing`: over
    this process's one connection to it, see `ssh_sharing`).

    >>> from saltline.master_url import parse_master_url
    >>> address = parse_master_url("ssh://deploy@[::1]:2222")
    >>> ssh_command(address, None, ["salt-key", "-L"])[-5:]
    ['-p', '2222', 'deploy@::1', '--', 'salt-key -L']
    """
    return ["ssh", *ssh_options(config, sharing), *ssh_destination(address), "--",
            shlex.join(command)]  # fmt: skip


def ssh_options(config: Path | None, sharing: bool) -> list[str]:
    where = ["-F", str(config)] if config else []
    return [*where, *SSH_OPTIONS, *(ssh_sharing.options() if sharing else [])]


def ssh_destination(address: MasterAddress) -> list[str]:
    host = address.host.strip("[]")  # ssh takes an IPv6 literal without brackets
    return ["-p", str(address.port), f"{address.user}@{host}"]


SSH_FAILED = 255  # the ssh client's own failure: no connection, or the connection dropped


class SshTransport(CommandChecks):
    """A real master (`ssh://user@host[:port]`), through the ssh client and its agent/keys,
    or the ssh configuration file `promotion.ssh_config` names."""

    def __init__(self, address: MasterAddress, timeout: int, config: Path | None = None):
        self.address = address
        self.timeout = timeout
        self.config = config
        self.run(["true"])  # raises MasterUnreachable when there is no connection
        ssh_sharing.close_at_exit(ssh_options(config, sharing=True), ssh_destination(address))

    def run(self, command: list[str], stdin: bytes | None = None) -> CommandResult:
        started = time.monotonic()
        try:
            done = process.run_bytes(
                ssh_command(self.address, self.config, command, sharing=True),
                stdin=stdin,
                timeout=self.timeout,
            )
        except CommandTimeout:
            raise CommandTimeout(
                f"master {self.address}: {command[0]} did not finish within {self.timeout}s "
                "(a hung connection?)"
            ) from None
        finally:
            _trace(self.address, command, started)
        if done.returncode == SSH_FAILED:
            reason = done.stderr.decode(errors="replace").strip()[-300:]
            raise MasterUnreachable(self.address, f"ssh failed: {reason}")
        return CommandResult(
            done.returncode,
            done.stdout.decode(errors="replace"),
            done.stderr.decode(errors="replace"),
        )

    def unpack(self, directory: str, tar: bytes) -> None:
        done = self.run(["tar", "-x", "-C", directory], stdin=tar)
        if done.exit_code != 0:
            raise MasterError(self.address, f"unpacking failed: {done.stderr.strip()}")


def open_transport(
    address: MasterAddress,
    client: docker.DockerClient | None,
    timeout: int,
    ssh_config: Path | None = None,
) -> Transport:
    """A checked connection to a master; raises MasterUnreachable (exit 2) if there is none."""
    if address.scheme == "docker":
        if client is None:
            raise SaltlineError(f"master {address} needs a Docker engine")
        return DockerTransport(client, address, timeout)
    return SshTransport(address, timeout, ssh_config)
