"""What the fault-injection modules share: a fleet of two masters sharing web1, commits
that change the page (optionally with a slow state), and ways to watch a promotion."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.e2e.conftest import saltline
from tests.e2e.fleet_estate import commit, estate_with_fleet, exec_in, served

HISTORY = "/srv/saltline/history.jsonl"
LEASE = "/srv/saltline/deploy.lock"


@dataclass(frozen=True)
class Fleet:
    """Two masters of `staging` sharing the minion web1 (Salt's multi-master)."""

    masters: list[str]

    @property
    def minion(self) -> str:
        return f"{self.masters[0]}-web1"

    def served(self) -> list[str]:
        return served(self.masters)

    def lease_holders(self) -> list[str]:
        return [exec_in(name, "cat", f"{LEASE}/owner.json").stdout for name in self.masters]

    def candidate_running(self) -> bool:
        script = "kill -0 $(cat /srv/saltline/candidate-master/salt-master.pid) 2>/dev/null"
        return exec_in(self.masters[1], "sh", "-c", script).returncode == 0

    def applying(self, text: str) -> Callable[[], bool]:
        """Whether web1 is running the slow state of the commit named `text` right now."""
        return lambda: exec_in(self.minion, "pgrep", "-f", f"echo '{text}'").returncode == 0

    def wait_until_idle(self) -> None:
        """Until no slow state runs on web1 (an apply saltline started goes on without it)."""
        deadline = time.monotonic() + 60
        while exec_in(self.minion, "pgrep", "-f", "^sleep ").returncode == 0:
            assert time.monotonic() < deadline, "web1 is still applying"
            time.sleep(0.5)

    def leftovers(self) -> str:
        """Containers of this fleet's name that are not the fleet: a fault leaves none."""
        done = subprocess.run(
            ["docker", "ps", "-a", "--filter", f"name={self.masters[0]}", "--format",
             "{{.Names}} {{.Label \"io.saltline.fleet\"}}"],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        return "\n".join(
            line for line in done.stdout.splitlines() if not line.endswith(self.masters[0])
        )


@contextmanager
def fault_estate(path: Path, fleet: Fleet, ssh: bool = False) -> Iterator[Path]:
    """The estate and its fleet (the web role only writes the page), with a first release
    rolled out."""
    with estate_with_fleet(path, {"staging": fleet.masters}, ssh=ssh, page_only=True) as repo:
        first = force_promote(repo)
        assert first.exit_code == 0, first.output
        yield repo


def force_promote(repo: Path, *args: str, config: str = "saltline.yml"):
    return saltline("-c", config, "promote", "staging", *args, "--force", "--reason",
                    "fault injection", estate=repo, reports=repo / "reports")  # fmt: skip


def new_commit(repo: Path, text: str, sleep: int = 0) -> str:
    """A commit that changes the page; with `sleep`, its rollout takes that long."""
    path = repo / "pillar" / "environments" / "staging" / "shop.sls"
    lines = [
        f"    message: {text}" if line.startswith("    message: ") else line
        for line in path.read_text().splitlines()
    ]
    path.write_text("\n".join(lines) + "\n")
    slow = repo / "salt" / "e2e_slow.sls"
    web = repo / "salt" / "roles" / "web.sls"
    if sleep:
        slow.write_text(
            f"e2e-slow-cmd-run:\n  cmd.run:\n    - name: sleep {sleep}; echo {text!r}\n"
        )
        if "e2e_slow" not in web.read_text():
            web.write_text(web.read_text().rstrip("\n") + "\n  - e2e_slow\n")
    elif slow.exists():
        slow.unlink()
        web.write_text(web.read_text().replace("\n  - e2e_slow", ""))
    return commit(repo, text)


def start_promotion(repo: Path, config: str = "saltline.yml") -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "saltline.cli", "-c", config, "promote", "staging", "--force",
         "--reason", "fault injection"],
        cwd=repo, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip


def in_its_batch(
    fleet: Fleet, repo: Path, text: str, config: str = "saltline.yml"
) -> tuple[str, subprocess.Popen[str]]:
    """A promotion of a new commit whose rollout takes a while (its slow state named
    `text`), caught while web1 applies it: (the commit, the promotion's process)."""
    fleet.wait_until_idle()
    sha = new_commit(repo, text, sleep=15)
    process = start_promotion(repo, config=config)
    wait_for(fleet.applying(text), process, "the batch on web1")
    return sha, process


def wait_for(condition: Callable[[], bool], process: subprocess.Popen[str], what: str) -> None:
    """Polls every 0.5 s (each poll is a `docker exec` or two): every moment waited for
    lasts seconds (a dry run, a blocked switch, a batch's slow state)."""
    deadline = time.monotonic() + 240
    while not condition():
        if process.poll() is not None:
            raise AssertionError(f"saltline ended before {what}:\n{process.communicate()[0]}")
        assert time.monotonic() < deadline, f"never saw {what}"
        time.sleep(0.5)


@contextmanager
def blocking_history(master: str) -> Iterator[Callable[[], None]]:
    """`master`'s history.jsonl made a FIFO, so saltline blocks at its next append there;
    yields `drain`, which reads what was appended once (letting saltline go on). The
    file, with everything drained, is put back afterwards."""
    fifo = f"mv {HISTORY} {HISTORY}.saved && mkfifo {HISTORY}"
    assert exec_in(master, "sh", "-c", fifo).returncode == 0
    drained: list[str] = []

    def drain() -> None:
        drained.append(exec_in(master, "timeout", "5", "cat", HISTORY).stdout)

    try:
        yield drain
    finally:
        drain()
        restore = f"rm -f {HISTORY} && mv {HISTORY}.saved {HISTORY} && cat >> {HISTORY}"
        subprocess.run(["docker", "exec", "-i", master, "sh", "-c", restore],
                       input="".join(drained), text=True, check=True)  # fmt: skip


def audit(repo: Path) -> list[dict]:
    return [
        json.loads(line) for line in (repo / ".saltline" / "audit.jsonl").read_text().splitlines()
    ]


def status(repo: Path, config: str = "saltline.yml") -> str:
    run = saltline("-c", config, "status", "staging", estate=repo, reports=repo / "reports")
    assert run.exit_code == 0, run.output
    return run.output
