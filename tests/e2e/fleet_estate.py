"""A copy of the reference estate in a git repository of its own, and its local fleet:
what the promotion e2e modules promote, each under its own master names."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import yaml

from saltline.adopt import config_writer
from tests.e2e.conftest import REPO, saltline

MOTD = REPO / "tests" / "fixtures" / "motd-formula"


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


def write_in(container: str, path: str, text: str) -> None:
    """`text` into the file at `path` in the container, its directory made if need be."""
    script = 'mkdir -p "$(dirname "$2")" && printf "%s" "$1" > "$2"'
    done = exec_in(container, "sh", "-c", script, "sh", text, path)
    assert done.returncode == 0, done.stderr


def served(masters: list[str]) -> list[str]:
    """What `current` points at on each master."""
    return [
        exec_in(name, "readlink", "/srv/saltline/current").stdout.strip().rsplit("/", 1)[-1]
        for name in masters
    ]


def motd_formula(target: Path) -> Path:
    """tests/fixtures/motd-formula in a git repository of its own, tagged v1.0.0."""
    shutil.copytree(MOTD, target)
    git(target, "init", "-q", "-b", "main")
    git(target, "-c", "user.name=Formula", "-c", "user.email=f@example.test", "add", "-A")
    git(target, "-c", "user.name=Formula", "-c", "user.email=f@example.test",
        "commit", "-qm", "v1")  # fmt: skip
    git(target, "tag", "v1.0.0")
    return target


# The web role reduced to its page, from the same pillar (`page_only`).
PAGE_ROLE = "include:\n  - e2e_page\n"
PAGE_SLS = """\
e2e-page-file-managed:
  file.managed:
    - name: /var/www/saltline/index.html
    - contents: {{ salt['pillar.get']('nginx:site:message') | yaml_dquote }}
    - makedirs: true
"""


@contextmanager
def estate_with_fleet(
    repo: Path,
    fleet: dict[str, list[str]],
    ssh: bool = False,
    formula: bool = False,
    page_only: bool = False,
    minions: int = 1,
) -> Iterator[Path]:
    """The estate in `repo`, promoted to `fleet` (environment → master container names),
    with only web1 and its web role (promotion is under test here, not the estate), a
    short Salt timeout, and the fleet up (`ssh`: with sshd on the masters, and
    `saltline-ssh.yml`, the same estate with its masters as ssh:// URLs; `formula`: the
    motd formula pinned at v1.0.0 from a repository of its own, applied to every
    minion; `page_only`: the web role only writes the page from the pillar's message,
    without nginx, for promotions whose mechanics are under test; `minions`: web1 …
    webN, all of the web role, for fleets of a size); the fleet is new
    (one of these names left by a killed run is removed first) and removed afterwards."""
    for part in ("salt", "pillar", "tests/infra", "tests/secrets", ".yamllint", ".salt-lint"):
        source = REPO / part
        if source.is_dir():
            shutil.copytree(source, repo / part, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, repo / part)
    if page_only:
        (repo / "salt" / "roles" / "web.sls").write_text(PAGE_ROLE)
        (repo / "salt" / "e2e_page.sls").write_text(PAGE_SLS)
    settings = yaml.safe_load((REPO / "saltline.yml").read_text())
    settings["environments"] = {
        "dev": {"test": True},
        **{
            env: {"masters": [f"docker://{name}" for name in names],
                  **({"protected": True} if env == "prod" else {})}
            for env, names in fleet.items()
        },
    }  # fmt: skip
    keys = settings["secrets"].get("master_keys", {})
    settings["secrets"]["master_keys"] = {env: key for env, key in keys.items() if env in fleet}
    settings["minions"] = {f"web{n}": {"roles": ["web"]} for n in range(1, minions + 1)}
    settings.pop("salt_versions", None)  # one cell: the default platform, the default Salt
    settings["platforms"] = dict(list(settings["platforms"].items())[:1])
    settings["promotion"]["timeout"] = 40  # e2e modules run side by side on two cores
    settings["promotion"]["busy_wait"] = 5  # a busy minion is waited for, briefly
    settings["lint"]["python"] = ["tests"]
    if formula:
        source = motd_formula(repo.parent / f"{repo.name}-motd-formula")
        settings["formulas"] = {"motd": {"git": f"file://{source}", "ref": "v1.0.0"}}
        top = repo / "salt" / "top.sls"
        top.write_text(top.read_text() + "  '*':\n    - motd\n")
    (repo / "saltline.yml").write_text(config_writer.dump(settings))
    if ssh:
        for env, names in fleet.items():
            settings["environments"][env]["masters"] = [f"ssh://root@{name}" for name in names]
        settings["promotion"]["ssh_config"] = ".saltline/fleet-ssh/config"
        (repo / "saltline-ssh.yml").write_text(config_writer.dump(settings))
    (repo / ".gitignore").write_text("reports/\n.saltline/\n__pycache__/\n")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "user.email", "ops@example.test")
    git(repo, "config", "user.name", "Ops Team")
    if formula:
        pinned = saltline("formulas", "update", estate=repo, reports=repo / "reports")
        assert pinned.exit_code == 0, pinned.output
    commit(repo, "the estate")
    # A pytest killed mid-module could not take its fleet down, and `fleet up` completes
    # a fleet of these names rather than replacing it: start from none.
    stale = saltline("fleet", "down", estate=repo, reports=repo / "reports")
    assert stale.exit_code == 0, stale.output
    up = saltline("fleet", "up", *(["--ssh"] if ssh else []), estate=repo, reports=repo / "reports")
    try:
        assert up.exit_code == 0, up.output
        yield repo
    finally:
        down = saltline("fleet", "down", estate=repo, reports=repo / "reports")
        assert down.exit_code == 0, down.output
