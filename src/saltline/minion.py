"""A throw-away test minion: one container with systemd as PID 1 and the estate mounted.

>>> minion = DockerMinion(client, target, "saltline/minion:debian12-salt3007.13", run)
>>> minion.start()
>>> minion.apply().ok
True
>>> minion.destroy()
"""

from __future__ import annotations

import contextlib
import io
import tarfile
import time
from dataclasses import dataclass
from typing import Protocol

import docker
import docker.errors
import yaml
from docker.models.containers import Container

from saltline import labels
from saltline.config import Config, Target
from saltline.salt_results import ApplyRun, parse_apply

SYSTEMD_BOOT_TIMEOUT = 90
TIMED_OUT = 124  # exit code of coreutils' timeout


@dataclass(frozen=True)
class CommandResult:
    exit_code: int
    stdout: str
    stderr: str


@dataclass(frozen=True)
class RunContext:
    """What every container of one `saltline test` run shares."""

    run_id: str
    network: str
    config: Config


class ApplyTimeout(RuntimeError):
    pass


class Minion(Protocol):
    """What the stages need from a minion; unit tests provide their own."""

    @property
    def name(self) -> str: ...

    @property
    def container_name(self) -> str: ...

    def apply(self, timeout: int) -> ApplyRun: ...


def minion_config(target: Target, config: Config, environment: str | None = None) -> str:
    """The minion configuration: local file client, the estate's roots, id, grains, pillarenv.

    `environment` renders the minion as if it belonged to another environment.
    """
    minion = target.minion
    environment = environment or minion.environment
    document = {
        "id": minion.name,
        "file_client": "local",
        "file_roots": {"base": ["/srv/salt"]},
        "pillar_roots": {env: ["/srv/pillar"] for env in config.environments},
        "pillarenv": environment,
        "grains": {
            **minion.grains,
            "roles": list(minion.roles),
            "saltline_environment": environment,
            "saltline_platform": target.platform.name,
        },
    }
    return yaml.safe_dump(document, sort_keys=False)


class DockerMinion:
    """A minion container: start, run, apply, destroy."""

    def __init__(self, client: docker.DockerClient, target: Target, image: str, run: RunContext):
        self.client = client
        self.target = target
        self.image = image
        self.run_context = run
        self.container: Container | None = None

    @property
    def name(self) -> str:
        return self.target.minion.name

    @property
    def container_name(self) -> str:
        return f"saltline-{self.run_context.run_id}-{self.name}-{self.target.platform.name}"

    def start(self) -> None:
        config = self.run_context.config
        self.container = self.client.containers.create(
            self.image,
            name=self.container_name,
            hostname=self.name,
            labels=labels.for_run(
                self.run_context.run_id,
                **{labels.MINION: self.name, labels.PLATFORM: self.target.platform.name},
            ),
            detach=True,
            # systemd as PID 1 without --privileged (see DESIGN.md)
            cap_add=["SYS_ADMIN"],
            security_opt=["seccomp=unconfined"],
            cgroupns="host",
            tmpfs={"/run": "", "/run/lock": ""},
            volumes={
                "/sys/fs/cgroup": {"bind": "/sys/fs/cgroup", "mode": "rw"},
                str(config.state_dir.resolve()): {"bind": "/srv/salt", "mode": "ro"},
                str(config.pillar_dir.resolve()): {"bind": "/srv/pillar", "mode": "ro"},
            },
            network=self.run_context.network,
            networking_config={
                self.run_context.network: self.client.api.create_endpoint_config(
                    aliases=[self.name]
                )
            },
        )
        self._put_file("/etc/salt/minion.d", "saltline.conf", minion_config(self.target, config))
        self.container.start()
        self._wait_for_systemd()

    def run(self, command: list[str], timeout: int | None = None) -> CommandResult:
        """Run a command (arguments passed separately, no shell) inside the container."""
        if self.container is None:
            raise RuntimeError(f"minion {self.name} is not started")
        if timeout is not None:
            command = ["timeout", "--kill-after=10", str(timeout), *command]
        exit_code, (stdout, stderr) = self.container.exec_run(command, demux=True)
        return CommandResult(
            exit_code,
            (stdout or b"").decode("utf-8", "replace"),
            (stderr or b"").decode("utf-8", "replace"),
        )

    def apply(self, timeout: int) -> ApplyRun:
        """`salt-call --local state.apply` (the highstate), parsed."""
        done = self.run(
            ["salt-call", "--local", "--out=json", "--log-level=quiet", "state.apply"],
            timeout=timeout,
        )
        if done.exit_code == TIMED_OUT:
            raise ApplyTimeout(f"state.apply did not finish within {timeout}s")
        return parse_apply(done.stdout or done.stderr)

    def destroy(self) -> None:
        if self.container is None:
            return
        with contextlib.suppress(docker.errors.NotFound):
            self.container.remove(force=True, v=True)
        self.container = None

    def _put_file(self, directory: str, name: str, text: str) -> None:
        assert self.container is not None
        data = text.encode()
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w") as archive:
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(data), 0o644
            archive.addfile(info, io.BytesIO(data))
        self.container.put_archive(directory, buffer.getvalue())

    def _wait_for_systemd(self) -> None:
        deadline = time.monotonic() + SYSTEMD_BOOT_TIMEOUT
        state = ""
        while time.monotonic() < deadline:
            state = self.run(["systemctl", "is-system-running"]).stdout.strip()
            if state in ("running", "degraded"):
                return
            time.sleep(0.2)
        raise RuntimeError(
            f"systemd in {self.container_name} did not finish booting within "
            f"{SYSTEMD_BOOT_TIMEOUT}s (state: {state or 'unknown'})"
        )
