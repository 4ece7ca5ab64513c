"""`saltline fleet up|down|status`: a local salt-master and minions per environment.

For each environment whose masters are `docker://NAME`, the fleet is a network
`NAME-net`, the master container NAME (file_roots and pillar_roots on the release
symlink, see `release`), and a container `NAME-<minion>` per minion of `saltline.yml`,
connected to the master over ZeroMQ with the same id, roles and pillarenv. It is
what a newcomer promotes to, and what the promotion e2e tests use.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import docker
import docker.errors
import yaml
from docker.models.containers import Container

from saltline import process
from saltline.config import Config, Minion
from saltline.console import Console
from saltline.engine import estate_view, gpg_keys, labels
from saltline.engine.containers import (
    create_systemd_container,
    put_file,
    run_command,
    wait_for_systemd,
)
from saltline.engine.images import Images
from saltline.errors import SaltlineError
from saltline.promotion.release import CURRENT, RELEASES
from saltline.salt_results import SaltOutputError, accepted_minions, answered_ping

FLEET = "io.saltline.fleet"
KEY_TIMEOUT = 120
KICK_AFTER = 30


def fleet_environments(config: Config) -> dict[str, str]:
    """Environment → master container name, for environments on local masters."""
    return {
        env: addresses[0].host
        for env, addresses in config.masters.items()
        if addresses and all(a.scheme == "docker" for a in addresses)
    }


def minion_container(master: str, minion: str) -> str:
    return f"{master}-{minion}"


def master_config(environment: str) -> str:
    return yaml.safe_dump(
        {
            "auto_accept": True,  # a throw-away local fleet; real masters keep key review
            "file_roots": {"base": [f"{CURRENT}/salt"]},
            "pillar_roots": {environment: [f"{CURRENT}/pillar"]},
            "pillarenv": environment,
            **gpg_keys.SALT_OPTIONS,
        },
        sort_keys=False,
    )


def fleet_minion_config(master: str, minion: Minion, environment: str, platform: str) -> str:
    return yaml.safe_dump(
        {
            "master": master,
            "id": minion.name,
            "pillarenv": environment,
            "grains": estate_view.grains(minion, environment, platform),
        },
        sort_keys=False,
    )


def up(client: docker.DockerClient, config: Config, console: Console) -> int:
    """Start (or complete) the fleet; a failure removes the whole fleet again."""
    environments = fleet_environments(config)
    if not environments:
        raise SaltlineError(
            f"{config.path}: no environment has docker:// masters; nothing to start"
        )
    platform = next(iter(config.platforms.values()))
    image = Images(client, config, log=console.say).ensure_minion(platform)
    try:
        for env, master_name in environments.items():
            _up_environment(client, config, env, master_name, image, platform.name)
            console.say(f"fleet {env}: master {master_name}, minions {', '.join(config.minions)}")
    except BaseException:
        down(client, config, Console())
        raise
    return 0


def _up_environment(
    client: docker.DockerClient,
    config: Config,
    env: str,
    master_name: str,
    image: str,
    platform: str,
) -> None:
    network = _network(client, master_name)
    fleet_labels = {labels.MANAGED: "true", FLEET: master_name}
    master = _existing(client, master_name)
    if master is None:
        master = create_systemd_container(
            client, image, name=master_name, hostname=master_name,
            labels={**fleet_labels, labels.KIND: "master"}, network=network,
        )  # fmt: skip
        put_file(master, "/etc/salt/master.d", "saltline.conf", master_config(env))
        master.start()
        if config.gpg_key is not None:
            gpg_keys.import_key(master, config.gpg_key)
        wait_for_systemd(master)
        _check(master, ["sh", "-c", f"mkdir -p {RELEASES} && systemctl enable --now salt-master"])
    for minion in config.minions.values():
        name = minion_container(master_name, minion.name)
        if _existing(client, name) is not None:
            continue
        container = create_systemd_container(
            client, image, name=name, hostname=minion.name,
            labels={**fleet_labels, labels.KIND: "minion", labels.MINION: minion.name},
            network=network,
        )  # fmt: skip
        put_file(container, "/etc/salt/minion.d", "saltline.conf",
                 fleet_minion_config(master_name, minion, env, platform))  # fmt: skip
        container.start()
        wait_for_systemd(container)
        _check(container, ["systemctl", "enable", "--now", "salt-minion"])
    restart = {
        name: minion_container(master_name, name) for name in config.minions
    }  # a minion that missed the master's first start retries slowly: kick it
    _wait_for_minions(
        master,
        sorted(config.minions),
        kick=lambda name: _check(
            client.containers.get(restart[name]), ["systemctl", "restart", "salt-minion"]
        ),
    )


def down(client: docker.DockerClient, config: Config, console: Console) -> int:
    """Remove this configuration's fleet: its masters, their minions and networks."""
    for master_name in fleet_environments(config).values():
        fleet_filter: labels.Filters = {"label": f"{FLEET}={master_name}"}
        for container in client.containers.list(all=True, filters=fleet_filter):
            container.remove(force=True, v=True)
            console.say(f"removed {container.name}")
        for network in client.networks.list(filters=fleet_filter):
            network.remove()
            console.say(f"removed network {network.name}")
    return 0


def status(client: docker.DockerClient, config: Config, console: Console) -> int:
    environments = fleet_environments(config)
    for env, master_name in environments.items():
        master = _existing(client, master_name)
        if master is None:
            console.say(f"fleet {env}: not running (`saltline fleet up`)")
            continue
        keys = run_command(master, ["salt-key", "-L", "--out=json"])
        try:
            accepted = accepted_minions(keys.stdout)
        except SaltOutputError:
            accepted = ["(salt-key failed: " + process.tail(keys.stderr, 1) + ")"]
        console.say(
            f"fleet {env}: master {master_name} ({master.status}); minions: {', '.join(accepted)}"
        )
    return 0


def _network(client: docker.DockerClient, master_name: str) -> str:
    name = f"{master_name}-net"
    if not client.networks.list(names=[name]):
        client.networks.create(name, labels={labels.MANAGED: "true", FLEET: master_name})
    return name


def _existing(client: docker.DockerClient, name: str) -> Container | None:
    try:
        container = client.containers.get(name)
    except docker.errors.NotFound:
        return None
    if container.status != "running":
        container.start()
        wait_for_systemd(container)
    return container


def _check(container: Container, command: list[str]) -> None:
    done = run_command(container, command)
    if done.exit_code != 0:
        output = (done.stdout + done.stderr).strip()
        raise SaltlineError(f"{container.name}: {' '.join(command)} failed: {output}")


def _wait_for_minions(master: Container, expected: list[str], kick: Callable[[str], None]) -> None:
    """Until every minion's key is accepted and it answers a ping over ZeroMQ."""
    started = time.monotonic()
    deadline = started + KEY_TIMEOUT
    kicked = False
    answered: list[str] = []
    while time.monotonic() < deadline:
        if not kicked and time.monotonic() - started > KICK_AFTER:
            for name in sorted(set(expected) - set(answered)):
                kick(name)
            kicked = True
        pinged = run_command(
            master, ["salt", "--out=json", "--static", "--timeout=5", "*", "test.ping"]
        )
        answered = answered_ping(pinged.stdout)
        if answered == expected:
            return
        time.sleep(1)
    missing = sorted(set(expected) - set(answered))
    raise SaltlineError(
        f"{master.name}: minions did not connect within {KEY_TIMEOUT}s: {', '.join(missing)}"
    )
