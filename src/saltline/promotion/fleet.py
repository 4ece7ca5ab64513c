"""`saltline fleet up|down|status`: local salt-masters and minions per environment.

For each environment whose masters are all `docker://NAME`, the fleet is a network
`FIRST-net` (FIRST: the environment's first master), a container per master
(file_roots and pillar_roots on the release symlink, see `release`), and a container
`FIRST-<minion>` per minion of `saltline.yml`, connected over ZeroMQ to every master
of the environment (Salt's multi-master: the masters share one key pair) with the
same id, roles and pillarenv. It is what a newcomer promotes to, and what the
promotion e2e tests use.

`fleet up --ssh` also runs sshd on every master, with a client key the fleet
generates and a known_hosts file it writes from the masters' host keys (strict
host-key checking stays on): the masters are then reachable as `ssh://root@NAME`
with `promotion.ssh_config: .saltline/fleet-ssh/config`, the way real masters are.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

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
    put_files,
    run_command,
    wait_for_systemd,
)
from saltline.engine.images import Images
from saltline.errors import SaltlineError, SaltOutputError
from saltline.promotion.paths import CURRENT, RELEASES
from saltline.salt_results import accepted_minions, answered_ping

KEY_TIMEOUT = 120
KICK_AFTER = 30


MASTER_KEYS = "/etc/salt/pki/master"


def fleet_environments(config: Config) -> dict[str, list[str]]:
    """Environment → its master container names, for environments on local masters."""
    return {
        env: [address.host for address in addresses]
        for env, addresses in config.masters.items()
        if addresses and all(a.scheme == "docker" for a in addresses)
    }


def minion_container(master: str, minion: str) -> str:
    return f"{master}-{minion}"


def master_config(environment: str, pillarenv: str | None) -> str:
    """A release holds one merged state root and one merged pillar root (see `bundle`)."""
    return yaml.safe_dump(
        {
            "auto_accept": True,  # a throw-away local fleet; real masters keep key review
            # A few minions per master: Salt's default of 5 request workers is for fleets, and
            # each worker costs a second of CPU at every start (the candidate master's too).
            "worker_threads": 2,
            # Each Salt process of the master (workers, `salt`, `salt-run`) loads the host's
            # grains, running `ip` six times and more; one computes, the rest read the cache.
            "grains_cache": True,
            "file_roots": {"base": [f"{CURRENT}/salt"]},
            "pillar_roots": {
                env: [f"{CURRENT}/pillar"] for env in dict.fromkeys(("base", environment))
            },
            **({"pillarenv": pillarenv} if pillarenv else {}),
            **gpg_keys.SALT_OPTIONS,
        },
        sort_keys=False,
    )


def fleet_minion_config(
    masters: list[str], minion: Minion, environment: str, platform: str, pillarenv: str | None
) -> str:
    return yaml.safe_dump(
        {
            "master": masters[0] if len(masters) == 1 else masters,
            "id": minion.name,
            **({"pillarenv": pillarenv} if pillarenv else {}),
            "grains": estate_view.grains(minion, environment, platform),
        },
        sort_keys=False,
    )


def up(
    client: docker.DockerClient,
    config: Config,
    console: Console,
    pillarenvs: dict[str, str | None],
    ssh: bool = False,
) -> int:
    """Start (or complete) the fleet, each environment's masters and minions with its
    pillarenv (see `layout`); a failure removes the whole fleet again."""
    environments = fleet_environments(config)
    if not environments:
        raise SaltlineError(
            f"{config.path}: no environment has docker:// masters; nothing to start"
        )
    platform = config.platforms[config.default_platform]
    image = Images(client, config, log=console.say).ensure_minion(platform, config.salt_version)
    try:
        for env, masters in environments.items():
            _up_environment(client, config, env, masters, image, platform.name, pillarenvs[env])
            console.say(
                f"fleet {env}: master(s) {', '.join(masters)}, minions {', '.join(config.minions)}"
            )
        if ssh:
            names = [name for masters in environments.values() for name in masters]
            ssh_config = _enable_ssh(client, config, names)
            console.say(
                f"fleet over ssh: ssh://root@{names[0]} (and the others) with "
                f"promotion.ssh_config: {ssh_config.relative_to(config.root)}"
            )
    except BaseException:
        down(client, config, Console())
        raise
    return 0


def _up_environment(
    client: docker.DockerClient,
    config: Config,
    env: str,
    masters: list[str],
    image: str,
    platform: str,
    pillarenv: str | None,
) -> None:
    first = masters[0]
    network = _network(client, first)
    fleet_labels = {labels.MANAGED: "true", labels.FLEET: first}
    started = [
        _up_master(client, config, env, name, image, network, fleet_labels,
                   key_from=None if name == first else first, pillarenv=pillarenv)
        for name in masters
    ]  # fmt: skip
    for minion in config.minions.values():
        name = minion_container(first, minion.name)
        if _existing(client, name) is not None:
            continue
        container = create_systemd_container(
            client, image, name=name, hostname=minion.name,
            labels={**fleet_labels, labels.KIND: "minion", labels.MINION: minion.name},
            network=network,
        )  # fmt: skip
        put_file(container, "/etc/salt/minion.d", "saltline.conf",
                 fleet_minion_config(masters, minion, env, platform, pillarenv))  # fmt: skip
        container.start()
        wait_for_systemd(container)
        _check(container, ["systemctl", "enable", "--now", "salt-minion"])
    for master in started:  # a minion that missed a master's first start retries slowly
        _wait_for_minions(
            master,
            sorted(config.minions),
            kick=lambda name: _check(
                client.containers.get(minion_container(first, name)),
                ["systemctl", "restart", "salt-minion"],
            ),
        )


def _up_master(
    client: docker.DockerClient,
    config: Config,
    env: str,
    name: str,
    image: str,
    network: str,
    fleet_labels: dict[str, str],
    key_from: str | None,
    pillarenv: str | None,
) -> Container:
    """A master container, started or created; a second master gets the first one's key
    pair (Salt's multi-master: minions trust one master key)."""
    master = _existing(client, name)
    if master is not None:
        return master
    master = create_systemd_container(
        client, image, name=name, hostname=name,
        labels={**fleet_labels, labels.KIND: "master"}, network=network,
    )  # fmt: skip
    put_file(master, "/etc/salt/master.d", "saltline.conf", master_config(env, pillarenv))
    master.start()
    key = config.master_keys.get(env, config.gpg_key)
    if key is not None:
        gpg_keys.import_key(master, key)
    wait_for_systemd(master)
    if key_from is not None:
        source = client.containers.get(key_from)
        keys = {
            f"master.{kind}": run_command(source, ["cat", f"{MASTER_KEYS}/master.{kind}"]).stdout
            for kind in ("pem", "pub")
        }
        _check(master, ["mkdir", "-p", MASTER_KEYS])
        put_files(master, MASTER_KEYS, keys)
        _check(master, ["chmod", "0400", f"{MASTER_KEYS}/master.pem"])
    _check(master, ["sh", "-c", f"mkdir -p {RELEASES} && systemctl enable --now salt-master"])
    return master


SSH_DIR = Path(".saltline") / "fleet-ssh"
_INSTALL_SSHD = (
    "command -v sshd >/dev/null || { apt-get update -q >/dev/null && "
    "DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "
    "openssh-server >/dev/null; }"
)


def _enable_ssh(client: docker.DockerClient, config: Config, names: list[str]) -> Path:
    """sshd on each master; the client key, known_hosts and ssh config under SSH_DIR."""
    directory = config.root / SSH_DIR
    directory.mkdir(parents=True, exist_ok=True)
    key = directory / "id_ed25519"
    if not key.is_file():
        done = process.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C",
                            "saltline-fleet", "-f", str(key)])  # fmt: skip
        if done.returncode != 0:
            raise SaltlineError(f"ssh-keygen failed: {done.stderr.strip()}")
    public = (directory / "id_ed25519.pub").read_text()
    known_hosts, hosts = [], []
    for name in names:
        master = client.containers.get(name)
        _check(master, ["sh", "-c", _INSTALL_SSHD])
        _check(master, ["install", "-d", "-m", "0700", "/root/.ssh"])
        put_files(master, "/root/.ssh", {"authorized_keys": public})
        _check(master, ["systemctl", "enable", "--now", "ssh"])
        host_key = run_command(master, ["cat", "/etc/ssh/ssh_host_ed25519_key.pub"]).stdout
        known_hosts.append(f"{name} {' '.join(host_key.split()[:2])}")
        master.reload()
        address = next(iter(master.attrs["NetworkSettings"]["Networks"].values()))["IPAddress"]
        hosts.append(
            f"Host {name}\n  HostName {address}\n  User root\n  HostKeyAlias {name}\n"
            f"  IdentityFile {key}\n  IdentitiesOnly yes\n"
            f"  UserKnownHostsFile {directory / 'known_hosts'}\n  StrictHostKeyChecking yes\n"
        )
    (directory / "known_hosts").write_text("\n".join(known_hosts) + "\n")
    ssh_config = directory / "config"
    ssh_config.write_text("# Written by `saltline fleet up --ssh`.\n" + "\n".join(hosts))
    return ssh_config


def down(client: docker.DockerClient, config: Config, console: Console) -> int:
    """Remove this configuration's fleet: its masters, their minions and networks."""
    for masters in fleet_environments(config).values():
        fleet_filter: labels.Filters = {"label": f"{labels.FLEET}={masters[0]}"}
        for container in client.containers.list(
            all=True, filters=fleet_filter, ignore_removed=True
        ):
            container.remove(force=True, v=True)
            console.say(f"removed {container.name}")
        for network in client.networks.list(filters=fleet_filter):
            network.remove()
            console.say(f"removed network {network.name}")
    return 0


def status(client: docker.DockerClient, config: Config, console: Console) -> int:
    environments = fleet_environments(config)
    for env, masters in environments.items():
        for master_name in masters:
            master = _existing(client, master_name)
            if master is None:
                console.say(f"fleet {env}: {master_name} not running (`saltline fleet up`)")
                continue
            keys = run_command(master, ["salt-key", "-L", "--out=json"])
            try:
                accepted = accepted_minions(keys.stdout)
            except SaltOutputError:
                accepted = ["(salt-key failed: " + process.tail(keys.stderr, 1) + ")"]
            console.say(
                f"fleet {env}: master {master_name} ({master.status}); "
                f"minions: {', '.join(accepted)}"
            )
    return 0


def _network(client: docker.DockerClient, master_name: str) -> str:
    name = f"{master_name}-net"
    if not client.networks.list(names=[name]):
        client.networks.create(name, labels={labels.MANAGED: "true", labels.FLEET: master_name})
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
