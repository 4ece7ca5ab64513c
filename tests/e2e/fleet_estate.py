"""A copy of the reference estate in a git repository of its own, and its local fleet:
what the promotion e2e modules promote, each under its own master names."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import yaml

from tests.e2e.conftest import REPO, saltline


class YamllintDumper(yaml.SafeDumper):
    """Lists indented under their key, as yamllint's default expects."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        return super().increase_indent(flow, False)


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), *args], check=True, capture_output=True, text=True
    ).stdout


def commit(repo: Path, message: str) -> str:
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", message)
    return git(repo, "rev-parse", "HEAD").strip()


def exec_in(container: str, *command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["docker", "exec", container, *command], capture_output=True, text=True, check=False
    )


def served(masters: list[str]) -> list[str]:
    """What `current` points at on each master."""
    return [
        exec_in(name, "readlink", "/srv/saltline/current").stdout.strip().rsplit("/", 1)[-1]
        for name in masters
    ]


@contextmanager
def estate_with_fleet(repo: Path, fleet: dict[str, list[str]], ssh: bool = False) -> Iterator[Path]:
    """The estate in `repo`, promoted to `fleet` (environment → master container names),
    with only web1 and its web role (promotion is under test here, not the estate), a
    short Salt timeout, and the fleet up (`ssh`: with sshd on the masters, and
    `saltline-ssh.yml`, the same estate with its masters as ssh:// URLs); the fleet is
    removed afterwards."""
    for part in ("salt", "pillar", "tests/infra", "tests/secrets", ".yamllint", ".salt-lint"):
        source = REPO / part
        if source.is_dir():
            shutil.copytree(source, repo / part, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, repo / part)
    settings = yaml.safe_load((REPO / "saltline.yml").read_text())
    settings["environments"] = {
        "dev": {"test": True},
        **{
            env: {"masters": [f"docker://{name}" for name in names]} for env, names in fleet.items()
        },
    }
    keys = settings["secrets"].get("master_keys", {})
    settings["secrets"]["master_keys"] = {env: key for env, key in keys.items() if env in fleet}
    settings["minions"] = {"web1": {"roles": ["web"]}}
    settings["promotion"]["timeout"] = 40  # e2e modules run side by side on two cores
    settings["lint"]["python"] = ["tests"]
    (repo / "saltline.yml").write_text(yaml.dump(settings, Dumper=YamllintDumper, sort_keys=False))
    if ssh:
        for env, names in fleet.items():
            settings["environments"][env] = {"masters": [f"ssh://root@{name}" for name in names]}
        settings["promotion"]["ssh_config"] = ".saltline/fleet-ssh/config"
        text = yaml.dump(settings, Dumper=YamllintDumper, sort_keys=False)
        (repo / "saltline-ssh.yml").write_text(text)
    (repo / ".gitignore").write_text("reports/\n.saltline/\n__pycache__/\n")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "user.email", "ops@example.test")
    git(repo, "config", "user.name", "Ops Team")
    commit(repo, "the estate")
    up = saltline("fleet", "up", *(["--ssh"] if ssh else []), estate=repo, reports=repo / "reports")
    try:
        assert up.exit_code == 0, up.output
        yield repo
    finally:
        down = saltline("fleet", "down", estate=repo, reports=repo / "reports")
        assert down.exit_code == 0, down.output
