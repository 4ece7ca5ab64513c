"""A throw-away test minion: one container with systemd as PID 1 and the estate in it.

minion = DockerMinion(client, target, "saltline/minion:debian12-salt3007.13", run)
minion.start()
minion.apply(timeout=900).ok   # True when every state succeeded
minion.destroy()
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from typing import Protocol

import docker
import docker.errors
import yaml
from docker.models.containers import Container

from saltline.config import Config, Target
from saltline.engine import apt_cache, estate_view, golden, gpg_keys, labels
from saltline.engine.containers import (
    CommandResult,
    create_systemd_container,
    make_net_sysctls_writable,
    put_file,
    run_command,
    wait_for_systemd,
)
from saltline.errors import CommandTimeout, ContainerError
from saltline.estate.layout import Layout
from saltline.salt_results import ApplyRun, parse_apply


@dataclass(frozen=True)
class RunContext:
    """What every container of one `saltline test` run shares."""

    run_id: str
    networks: dict[tuple[str, str, str], str]  # by target group (Target.group)
    config: Config
    layout: Layout
    package_cache: bool = False  # apt downloads through the shared cache (engine.apt_cache)
    keep: bool = False  # `--keep`: the containers stay for `login` (labels.KEPT)


class Minion(Protocol):
    """What the stages need from a minion; unit tests provide their own."""

    @property
    def name(self) -> str: ...

    @property
    def container_name(self) -> str: ...

    def apply(self, timeout: int, test: bool = False) -> ApplyRun: ...

    def execute(self, command: list[str], timeout: int) -> tuple[str, str]: ...


def minion_config(target: Target, config: Config, layout: Layout) -> str:
    """The minion configuration: local file client, the estate's roots, id, grains, pillarenv."""
    minion = target.minion
    environment = target.environment
    document = {
        "id": minion.name,
        "file_client": "local",
        **estate_view.salt_roots(config, layout, environment),
        "grains": estate_view.grains(minion, environment, target.platform.name),
        **gpg_keys.SALT_OPTIONS,
        "saltcheck_output_details": True,  # failures say expected versus actual
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
        target = self.target
        prefix = f"saltline-{self.run_context.run_id}"
        return labels.unique_name(
            prefix, target.environment, self.name, target.platform.name, target.salt_version
        )

    def start(self) -> None:
        config = self.run_context.config
        try:
            self.container = self._create()
        except docker.errors.APIError as exc:
            given = self.target.container.given()
            if not given:
                raise
            raise ContainerError(
                f"{self.target.key}: the engine refused the container with its `container:` "
                f"options {json.dumps(given)}: {exc.explanation or exc}; change them in "
                f"saltline.yml (minions.{self.name}.container or "
                f"platforms.{self.target.platform.name}.container)"
            ) from None
        estate_view.copy_into(self.container, self.run_context.layout)
        put_file(
            self.container,
            "/etc/salt/minion.d",
            "saltline.conf",
            minion_config(self.target, config, self.run_context.layout),
        )
        if self.run_context.package_cache:
            directory, name = apt_cache.APT_CONF_PATH.rsplit("/", 1)
            put_file(self.container, directory, name, apt_cache.APT_CONF)
        try:
            self.container.start()
        except docker.errors.APIError as exc:
            if not self.target.container.given():
                raise
            raise ContainerError(
                f"{self.target.key}: the engine could not start the container with its "
                f"`container:` options: {exc.explanation or exc}"
            ) from None
        if config.gpg_key is not None:
            gpg_keys.import_key(self.container, config.gpg_key)
        wait_for_systemd(self.container)
        if any(key.startswith("net.") for key in self.target.container.sysctls):
            make_net_sysctls_writable(self.container)

    def _create(self) -> Container:
        return create_systemd_container(
            self.client,
            self.image,
            name=self.container_name,
            hostname=self.name,
            labels=labels.for_run(
                self.run_context.run_id,
                **{
                    labels.MINION: self.name,
                    labels.PLATFORM: self.target.platform.name,
                    labels.SALT_VERSION: self.target.salt_version,
                    labels.ENVIRONMENT: self.target.environment,
                    **({labels.KEPT: "true"} if self.run_context.keep else {}),
                },
            ),
            network=self.run_context.networks[self.target.group],
            extra=self.target.container,
            command=[golden.known(self.image).init] if self.target.platform.preinstalled else None,
        )

    def run(self, command: list[str], timeout: int | None = None) -> CommandResult:
        """Run a command (arguments passed separately, no shell) inside the container."""
        if self.container is None:
            raise ContainerError(f"minion {self.name} is not started")
        return run_command(self.container, command, timeout)

    def execute(self, command: list[str], timeout: int) -> tuple[str, str]:
        """A command's stdout and stderr, whatever its exit code."""
        done = self.run(command, timeout)
        return done.stdout, done.stderr

    def apply(self, timeout: int, test: bool = False) -> ApplyRun:
        """`salt-call --local state.apply` (the highstate, less the minion's `exclude`;
        `test`: with test=True, changing nothing), parsed."""
        exclude = [e.salt() for e in self.target.minion.exclude]
        try:
            done = self.run(
                ["salt-call", "--local", "--out=json", "--log-level=quiet", "state.apply",
                 *([f"exclude={json.dumps(exclude)}"] if exclude else []),
                 *(["test=True"] if test else [])],
                timeout=timeout,
            )  # fmt: skip
        except CommandTimeout:
            raise CommandTimeout(
                f"{self.name}: state.apply did not finish within {timeout}s"
            ) from None
        return parse_apply(done.stdout or done.stderr, exit_code=done.exit_code)

    def destroy(self) -> None:
        if self.container is None:
            return
        with contextlib.suppress(docker.errors.NotFound):
            self.container.remove(force=True, v=True)
        self.container = None
