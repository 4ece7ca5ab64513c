"""Helpers for containers that run systemd as PID 1: create, copy a file in, wait for boot."""

from __future__ import annotations

import io
import tarfile
import time
from dataclasses import dataclass
from typing import Any

import docker
from docker.models.containers import Container

from saltline.config import ContainerOptions
from saltline.engine import host_limits
from saltline.engine.exec_output import exec_output
from saltline.errors import CommandTimeout, ContainerError

SYSTEMD_BOOT_TIMEOUT = 90


def create_systemd_container(
    client: docker.DockerClient,
    image: str,
    *,
    name: str,
    hostname: str,
    labels: dict[str, str],
    network: str | None,
    volumes: dict[str, dict[str, str]] | None = None,
    extra: ContainerOptions | None = None,
    command: list[str] | None = None,
) -> Container:
    """A created (not started) container with systemd as PID 1, on `network` as `hostname`,
    with what `extra` (the target's `container:` options) adds; no network: `None`.
    `command`: systemd's path, for an image whose own command is something else (a
    golden image's).

    Not privileged unless `extra` asks: --privileged fails on some engines ("unable to
    apply caps"), and what a privileged test changes, it changes on the host.
    """
    extra = extra or ContainerOptions()
    options: dict[str, Any] = {
        "cap_add": list(dict.fromkeys(["SYS_ADMIN", *extra.cap_add])),
        "security_opt": ["seccomp=unconfined", *extra.security_opt],
        "cgroupns": "host",
        "tmpfs": {"/run": "", "/run/lock": "", **extra.tmpfs},
    }
    if extra.sysctls:
        options["sysctls"] = dict(extra.sysctls)
    if extra.devices:
        options["devices"] = list(extra.devices)
    if extra.privileged:
        options["privileged"] = True
    if network is None:
        options["network_mode"] = "none"
    else:
        options["network"] = network
        options["networking_config"] = {
            network: client.api.create_endpoint_config(aliases=[hostname])
        }
    if command is not None:
        options["command"] = command
        options["entrypoint"] = []
    return client.containers.create(
        image,
        name=name,
        hostname=hostname,
        labels=labels,
        detach=True,
        volumes={"/sys/fs/cgroup": {"bind": "/sys/fs/cgroup", "mode": "rw"}, **(volumes or {})},
        **options,
    )


# The container's own network namespace's settings, made writable in it: a container
# with `container.sysctls` for net.* keys tests the states that set them for real
# (`sysctl -w`), and nothing outside its namespace can be reached this way.
_WRITABLE_NET_SYSCTLS = (
    "mount --bind /proc/sys/net /proc/sys/net && mount -o remount,bind,rw /proc/sys/net"
)


def make_net_sysctls_writable(container: Container) -> None:
    done = run_command(container, ["sh", "-c", _WRITABLE_NET_SYSCTLS], 30)
    if done.exit_code != 0:
        raise ContainerError(
            f"{container.name}: could not make /proc/sys/net writable for its namespaced "
            f"sysctls (exit {done.exit_code}): {done.tail()}"
        )


@dataclass(frozen=True)
class CommandResult:
    exit_code: int
    stdout: str
    stderr: str

    def tail(self, lines: int = 3) -> str:
        """The last lines of what it said (stderr, else stdout), for an error message."""
        return "\n".join((self.stderr or self.stdout).strip().splitlines()[-lines:])


TIMED_OUT = (124, 137)  # coreutils' timeout: timed out; killed after the grace period
EXIT_CODE_WAIT = 10  # seconds an exec's exit code may take to be recorded after its output


def run_command(
    container: Container, command: list[str], timeout: int | None = None
) -> CommandResult:
    """Run a command (arguments passed separately, no shell) in a running container.

    With a timeout, the command is killed when it outlives it (TERM, then KILL ten
    seconds later), and CommandTimeout names the container and the command.
    """
    if timeout is not None:
        started = time.monotonic()
        done = run_command(container, ["timeout", "--kill-after=10", str(timeout), *command])
        if done.exit_code in TIMED_OUT and time.monotonic() - started >= timeout:
            raise CommandTimeout(f"{container.name}: {command[0]} did not finish within {timeout}s")
        return done
    assert container.client is not None, "a container from a client"
    api = container.client.api
    exec_id = api.exec_create(container.id, command)["Id"]
    stdout, stderr = exec_output(api, exec_id)
    return CommandResult(
        _exit_code(api, exec_id, command),
        stdout.decode("utf-8", "replace"),
        stderr.decode("utf-8", "replace"),
    )


def _exit_code(api: Any, exec_id: str, command: list[str]) -> int:
    """The exec's exit code. Its output can end before the engine has recorded how the
    process exited: inspected at once, a loaded engine says "running", no code. Never
    a made-up code: read as a failure, `test -d` of a lease that is there said it was
    gone."""
    deadline = time.monotonic() + EXIT_CODE_WAIT
    while True:
        info = api.exec_inspect(exec_id)
        if info.get("ExitCode") is not None and not info.get("Running"):
            return int(info["ExitCode"])
        if time.monotonic() >= deadline:
            raise ContainerError(
                f"the engine did not record how {command[0]} exited within "
                f"{EXIT_CODE_WAIT}s of its output (an overloaded engine?)"
            )
        time.sleep(0.05)


def put_files(container: Container, directory: str, files: dict[str, str]) -> None:
    """Write text files (paths relative to `directory`) into a created or running
    container; missing directories, `directory` included, are created (0755): a golden
    image may have no /etc/salt."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(f"{directory.strip('/')}/{name}")
            info.size, info.mode = len(data), 0o644
            archive.addfile(info, io.BytesIO(data))
    if not container.put_archive("/", buffer.getvalue()):
        raise ContainerError(f"{container.name}: the engine did not take {', '.join(files)}")


def put_file(container: Container, directory: str, name: str, text: str) -> None:
    put_files(container, directory, {name: text})


def wait_for_systemd(container: Container) -> None:
    """Until systemd reports running (or degraded: a unit failed, the system is up). A
    container that dies or never boots is explained: the host limit it hit, if its
    output names one (`host_limits.diagnose`), else its last words."""
    deadline = time.monotonic() + SYSTEMD_BOOT_TIMEOUT
    state = ""
    while time.monotonic() < deadline:
        try:
            state = run_command(container, ["systemctl", "is-system-running"]).stdout.strip()
        except docker.errors.APIError:  # 409: it is not running any more
            raise ContainerError(
                f"{container.name} stopped while systemd booted{_why(container)}"
            ) from None
        if state in ("running", "degraded"):
            return
        time.sleep(0.2)
    raise ContainerError(
        f"systemd in {container.name} did not finish booting within "
        f"{SYSTEMD_BOOT_TIMEOUT}s (state: {state or 'unknown'}){_why(container)}"
    )


def _why(container: Container) -> str:
    try:
        log = container.logs(tail=40).decode("utf-8", "replace")
    except docker.errors.DockerException:
        return ""
    found = host_limits.diagnose(log)
    last = " | ".join(line.strip() for line in log.strip().splitlines()[-3:])
    return f": {found}" if found else (f"; its last words: {last}" if last else "")
