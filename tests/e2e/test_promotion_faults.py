"""Fault injection: promotions killed, cut off and hung at every phase, on a fleet of two
masters sharing one minion (Salt's multi-master), reached through `docker://` and, as
real masters are, through `ssh://`.

After each fault: `saltline status` tells the truth, the next promote or rollback
recovers with no manual step (a dead lease of this host is broken, audited), no
lease is left that its owner.json does not explain, and every outcome saltline
lived to see is audited. Commits are promoted with `--force` (audited): the gate is
tested in test_promotion; here every other phase is.
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.e2e.conftest import saltline
from tests.e2e.fleet_estate import commit, estate_with_fleet, exec_in, git, served

MASTERS = ["saltline-faults-master1", "saltline-faults-master2"]
MINION = f"{MASTERS[0]}-web1"
HISTORY = "/srv/saltline/history.jsonl"
LEASE = "/srv/saltline/deploy.lock"


@pytest.fixture(scope="module")
def repo(tmp_path_factory):
    path = tmp_path_factory.mktemp("faults")
    with estate_with_fleet(path, {"staging": MASTERS}, ssh=True) as repo:
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


def wait_for(condition: Callable[[], bool], process: subprocess.Popen[str], what: str) -> None:
    deadline = time.monotonic() + 240
    while not condition():
        if process.poll() is not None:
            raise AssertionError(f"saltline ended before {what}:\n{process.communicate()[0]}")
        assert time.monotonic() < deadline, f"never saw {what}"
        time.sleep(0.2)


def kill(process: subprocess.Popen[str], sig: signal.Signals) -> tuple[int, str]:
    process.send_signal(sig)
    output = process.communicate(timeout=240)[0]
    return process.returncode, output


def audit(repo: Path) -> list[dict]:
    return [
        json.loads(line) for line in (repo / ".saltline" / "audit.jsonl").read_text().splitlines()
    ]


def status(repo: Path) -> str:
    run = saltline("status", "staging", estate=repo, reports=repo / "reports")
    assert run.exit_code == 0, run.output
    return run.output


def lease_holders() -> list[str]:
    return [exec_in(name, "cat", f"{LEASE}/owner.json").stdout for name in MASTERS]


def candidate_running() -> bool:
    script = "kill -0 $(cat /srv/saltline/candidate-master/salt-master.pid) 2>/dev/null"
    return exec_in(MASTERS[1], "sh", "-c", script).returncode == 0


def dry_run_started() -> bool:
    return candidate_running()


def applying(text: str) -> Callable[[], bool]:
    """Whether web1 is running the slow state of the commit named `text` right now."""
    return lambda: exec_in(MINION, "pgrep", "-f", f"echo '{text}'").returncode == 0


def wait_until_idle() -> None:
    """Until no slow state runs on web1 (an apply saltline started goes on without it)."""
    deadline = time.monotonic() + 60
    while exec_in(MINION, "pgrep", "-f", "^sleep ").returncode == 0:
        assert time.monotonic() < deadline, "web1 is still applying"
        time.sleep(0.5)


def leftovers() -> str:
    """Containers and networks not of the fleet: a fault must not leave any."""
    done = subprocess.run(
        ["docker", "ps", "-a", "--filter", "label=io.saltline.managed=true", "--format",
         "{{.Names}} {{.Label \"io.saltline.fleet\"}}"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return "\n".join(line for line in done.stdout.splitlines() if not line.endswith(MASTERS[0]))


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
def test_killed_after_upload_changes_nothing_live(repo, sig):
    before = served(MASTERS)
    sha = new_commit(repo, f"after upload, {sig.name}")
    process = start_promotion(repo)
    wait_for(dry_run_started, process, "the dry run")
    code, output = kill(process, sig)
    assert served(MASTERS) == before  # phase 1 and the dry run change nothing live
    if sig == signal.SIGTERM:
        assert code == 130, output
        assert audit(repo)[-1]["outcome"] == "interrupted"
        assert lease_holders() == ["", ""]
        assert not candidate_running()
    else:
        assert all(f'"pid": {process.pid}' in holder for holder in lease_holders())
        assert f"pid {process.pid} (promote {sha[:12]})" in status(repo)
    recovered = force_promote(repo)  # breaks the dead lease by itself
    assert recovered.exit_code == 0, recovered.output
    assert served(MASTERS) == [sha, sha]
    assert f"{sha[:12]} rolled out" in status(repo)
    assert leftovers() == ""


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
def test_killed_after_the_first_master_switched(repo, sig):
    """master1's history is a FIFO: its switch blocks on the history append, so saltline
    is caught between the two masters' switches."""
    before = served(MASTERS)
    sha = new_commit(repo, f"between masters, {sig.name}")
    fifo = f"mv {HISTORY} {HISTORY}.saved && mkfifo {HISTORY}"
    assert exec_in(MASTERS[0], "sh", "-c", fifo).returncode == 0
    drained: list[str] = []

    def drain() -> None:  # read what saltline writes to master1's history, once
        drained.append(exec_in(MASTERS[0], "timeout", "5", "cat", HISTORY).stdout)

    try:
        process = start_promotion(repo)
        wait_for(lambda: served(MASTERS)[0] == sha, process, "master1's switch")
        assert served(MASTERS)[1] == before[1]
        process.send_signal(sig)
        while process.poll() is None:  # SIGTERM: the undo appends to the history too
            drain()
        output = process.communicate()[0]
    finally:
        drain()
        restore = f"rm -f {HISTORY} && mv {HISTORY}.saved {HISTORY} && cat >> {HISTORY}"
        subprocess.run(["docker", "exec", "-i", MASTERS[0], "sh", "-c", restore],
                       input="".join(drained), text=True, check=True)  # fmt: skip
    if sig == signal.SIGTERM:
        assert process.returncode == 130, output
        assert served(MASTERS) == before  # switched back: all masters or none
        assert audit(repo)[-1]["outcome"] == "interrupted"
        assert "SPLIT" not in status(repo)
    else:
        assert served(MASTERS) == [sha, before[1]]
        report = status(repo)
        assert "SPLIT" in report and "NOT rolled out" in report and "deploy lease held" in report
        rolled_back = saltline("rollback", "staging", estate=repo, reports=repo / "reports")
        assert rolled_back.exit_code == 0, rolled_back.output
        assert served(MASTERS) == before
        assert any(e["outcome"] == "lease-broken" for e in audit(repo)[-3:])
    assert lease_holders() == ["", ""]
    assert leftovers() == ""


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
def test_killed_in_the_middle_of_a_batch(repo, sig):
    before = served(MASTERS)
    wait_until_idle()
    text = f"mid batch, {sig.name}"
    sha = new_commit(repo, text, sleep=15)
    process = start_promotion(repo)
    wait_for(applying(text), process, "the batch on web1")
    code, output = kill(process, sig)
    if sig == signal.SIGTERM:
        assert code == 130, output
        assert served(MASTERS) == before
        last = audit(repo)[-1]
        assert (last["outcome"], last["applied"]) == ("interrupted", ["web1"])
        assert "`saltline rollback staging`" in output
        wait_until_idle()
    else:
        assert served(MASTERS) == [sha, sha]
        assert f"{sha[:12]} NOT rolled out" in status(repo)
        wait_until_idle()  # the minion finishes the apply saltline started
        rolled_back = saltline("rollback", "staging", estate=repo, reports=repo / "reports")
        assert rolled_back.exit_code == 0, rolled_back.output
        assert served(MASTERS) == before
    assert lease_holders() == ["", ""]


def over_ssh(repo: Path, *args: str):
    return saltline("-c", "saltline-ssh.yml", *args, estate=repo, reports=repo / "reports")


def test_over_ssh_dry_run_promote_status_drift_and_rollback(repo):
    before = served(MASTERS)
    sha = new_commit(repo, "over ssh")
    dry = over_ssh(repo, "promote", "staging", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "dry run staging/web1: nginx-config-page-file-managed" in dry.output
    assert served(MASTERS) == before
    promoted = force_promote(repo, config="saltline-ssh.yml")
    assert promoted.exit_code == 0, promoted.output
    assert served(MASTERS) == [sha, sha]
    report = over_ssh(repo, "status", "staging")
    for name in MASTERS:
        assert f"staging ssh://root@{name}: {sha[:12]} rolled out" in report.output
    assert over_ssh(repo, "drift", "staging").exit_code == 0
    rolled_back = over_ssh(repo, "rollback", "staging")
    assert rolled_back.exit_code == 0, rolled_back.output
    assert served(MASTERS) == before


def test_a_host_key_that_changed_is_refused(repo, tmp_path):
    known_hosts = repo / ".saltline" / "fleet-ssh" / "known_hosts"
    original = known_hosts.read_text()
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(tmp_path / "k")],
                   check=True)  # fmt: skip
    forged = (tmp_path / "k.pub").read_text().split()[:2]
    known_hosts.write_text(f"{MASTERS[0]} {' '.join(forged)}\n" + original.split("\n", 1)[1])
    try:
        refused = over_ssh(repo, "status", "staging")
        assert refused.exit_code == 2
        assert f"master ssh://root@{MASTERS[0]}: ssh failed" in refused.output
    finally:
        known_hosts.write_text(original)


def test_a_dropped_ssh_connection_fails_the_batch_and_returns_the_environment(repo):
    before = served(MASTERS)
    wait_until_idle()
    text = "the connection drops"
    new_commit(repo, text, sleep=15)
    process = start_promotion(repo, config="saltline-ssh.yml")
    wait_for(applying(text), process, "the batch on web1")
    assert exec_in(MASTERS[0], "pkill", "-f", "sshd: root@notty").returncode == 0
    output = process.communicate(timeout=300)[0]
    assert process.returncode == 1, output
    assert f"master ssh://root@{MASTERS[0]}: ssh failed" in output
    assert served(MASTERS) == before
    last = audit(repo)[-1]
    assert last["outcome"] == "failed" and last["applied"] == ["web1"]
    assert lease_holders() == ["", ""]
    wait_until_idle()


def test_a_master_stopped_mid_rollout_is_named_and_the_next_rollback_heals(repo):
    before = served(MASTERS)
    wait_until_idle()
    text = "a master stops"
    sha = new_commit(repo, text, sleep=15)
    process = start_promotion(repo)
    wait_for(applying(text), process, "the batch on web1")
    subprocess.run(["docker", "stop", "-t", "1", MASTERS[1]], check=True, capture_output=True)
    try:
        output = process.communicate(timeout=300)[0]
        assert process.returncode == 1, output
        assert f"could not switch {'docker://' + MASTERS[1]} back" in output or "error:" in output
        last = audit(repo)[-1]
        assert last["outcome"] == "failed" and last["applied"] == ["web1"]
    finally:
        subprocess.run(["docker", "start", MASTERS[1]], check=True, capture_output=True)
    assert (
        exec_in(MASTERS[1], "sh", "-c", "sleep 5; systemctl is-active salt-master").returncode == 0
    )
    assert served(MASTERS)[0] == before[0]
    assert served(MASTERS)[1] == sha  # switched before it stopped; never switched back
    assert "SPLIT" in status(repo)
    time.sleep(10)  # the minion reconnects to master2
    rolled_back = saltline("rollback", "staging", estate=repo, reports=repo / "reports")
    assert rolled_back.exit_code == 0, rolled_back.output
    assert served(MASTERS) == before
    assert lease_holders() == ["", ""]


def test_a_minion_stopped_mid_rollout_returns_the_environment(repo):
    before = served(MASTERS)
    wait_until_idle()
    text = "a minion stops"
    new_commit(repo, text, sleep=15)
    process = start_promotion(repo)
    wait_for(applying(text), process, "the batch on web1")
    subprocess.run(["docker", "stop", "-t", "1", MINION], check=True, capture_output=True)
    try:
        output = process.communicate(timeout=300)[0]
        assert process.returncode == 1, output
        assert re.search(r"batch 1/1 staging/web1: (did not return|returned no state results)",
                         output)  # fmt: skip
        assert served(MASTERS) == before
        last = audit(repo)[-1]
        assert last["outcome"] == "rolled-back"
        assert last["reapplied"]["web1"].startswith("did not return")
    finally:
        subprocess.run(["docker", "start", MINION], check=True, capture_output=True)
    assert lease_holders() == ["", ""]


def test_a_hanging_state_times_out_and_returns_the_environment(repo):
    """Salt's CLI waits as long as the job runs; the master command's own timeout
    (promotion.timeout + 60 s) ends it, and the masters switch back."""
    before = served(MASTERS)
    new_commit(repo, "a state that hangs", sleep=600)
    run = force_promote(repo)
    try:
        assert run.exit_code == 1, run.output
        assert "salt did not finish within 80s" in run.output
        assert served(MASTERS) == before
        last = audit(repo)[-1]
        assert last["outcome"] == "failed" and last["applied"] == ["web1"]
        assert "did not finish within 80s" in last["error"]
    finally:
        exec_in(MINION, "pkill", "-f", "^sleep 600")
    back = new_commit(repo, "healthy again")
    recovered = force_promote(repo)
    assert recovered.exit_code == 0, recovered.output
    assert served(MASTERS) == [back, back]
    assert git(repo, "status", "--porcelain") == ""
