"""Fault injection, lost: a master or a minion stopped, an ssh connection dropped, a
state that hangs, a host key that changed, on two masters sharing web1, reached
through `docker://` and, as real masters are, through `ssh://` (`fleet up --ssh`).

After each: the environment serves one release (or `status` names the split and the
next rollback heals it), the outcome is audited, and no lease is left.
"""

from __future__ import annotations

import re
import subprocess
import time
from pathlib import Path

import pytest
import yaml

from saltline.adopt import config_writer
from tests.e2e.conftest import saltline
from tests.e2e.faults import (
    Fleet,
    audit,
    fault_estate,
    force_promote,
    in_its_batch,
    new_commit,
    status,
)
from tests.e2e.fleet_estate import exec_in, git

FLEET = Fleet(["saltline-lost-master1", "saltline-lost-master2"])


@pytest.fixture(scope="module")
def repo(tmp_path_factory):
    with fault_estate(tmp_path_factory.mktemp("lost"), FLEET, ssh=True) as repo:
        yield repo


def over_ssh(repo: Path, *args: str):
    return saltline("-c", "saltline-ssh.yml", *args, estate=repo, reports=repo / "reports")


def test_over_ssh_dry_run_promote_status_drift_and_rollback(repo):
    before = FLEET.served()
    sha = new_commit(repo, "over ssh")
    dry = over_ssh(repo, "promote", "staging", "--dry-run", "--untested")  # a new commit
    assert dry.exit_code == 0, dry.output
    assert "dry run staging/web1: e2e-page-file-managed" in dry.output
    assert FLEET.served() == before
    promoted = force_promote(repo, config="saltline-ssh.yml")
    assert promoted.exit_code == 0, promoted.output
    assert FLEET.served() == [sha, sha]
    report = over_ssh(repo, "status", "staging")
    for name in FLEET.masters:
        assert f"staging ssh://root@{name}: {sha[:12]} rolled out" in report.output
    assert over_ssh(repo, "drift", "staging").exit_code == 0
    rolled_back = over_ssh(repo, "rollback", "staging")
    assert rolled_back.exit_code == 0, rolled_back.output
    assert FLEET.served() == before


def test_a_host_key_that_changed_is_refused(repo, tmp_path):
    known_hosts = repo / ".saltline" / "fleet-ssh" / "known_hosts"
    original = known_hosts.read_text()
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(tmp_path / "k")],
                   check=True)  # fmt: skip
    forged = (tmp_path / "k.pub").read_text().split()[:2]
    known_hosts.write_text(f"{FLEET.masters[0]} {' '.join(forged)}\n" + original.split("\n", 1)[1])
    try:
        refused = over_ssh(repo, "status", "staging")
        # that master is named unreachable, and the other one reported all the same
        assert refused.exit_code == 1, refused.output
        assert f"ssh://root@{FLEET.masters[0]}: UNREACHABLE" in refused.output
        assert f"master ssh://root@{FLEET.masters[0]}: ssh failed" in refused.output
        assert f"staging ssh://root@{FLEET.masters[1]}: " in refused.output
        assert "rolled out" in refused.output
    finally:
        known_hosts.write_text(original)


def test_a_dropped_ssh_connection_fails_the_batch_and_returns_the_environment(repo):
    before = FLEET.served()
    text = "the connection drops"
    _, process = in_its_batch(FLEET, repo, text, config="saltline-ssh.yml")
    assert exec_in(FLEET.masters[0], "pkill", "-f", "sshd: root@notty").returncode == 0
    output = process.communicate(timeout=300)[0]
    assert process.returncode == 1, output
    assert f"master ssh://root@{FLEET.masters[0]}: ssh failed" in output
    assert FLEET.served() == before
    last = audit(repo)[-1]
    assert last["outcome"] == "failed" and last["applied"] == ["web1"]
    assert FLEET.lease_holders() == ["", ""]
    FLEET.wait_until_idle()


def test_a_master_stopped_mid_rollout_is_named_and_the_next_rollback_heals(repo):
    before = FLEET.served()
    text = "a master stops"
    sha, process = in_its_batch(FLEET, repo, text)
    subprocess.run(["docker", "stop", "-t", "1", FLEET.masters[1]], check=True, capture_output=True)
    try:
        output = process.communicate(timeout=300)[0]
        assert process.returncode == 1, output
        assert (
            f"could not switch {'docker://' + FLEET.masters[1]} back" in output
            or "error:" in output
        )
        last = audit(repo)[-1]
        assert last["outcome"] == "failed" and last["applied"] == ["web1"]
    finally:
        subprocess.run(["docker", "start", FLEET.masters[1]], check=True, capture_output=True)
    # back up: systemd may take a while to start salt-master on a loaded machine
    started = "for i in $(seq 60); do systemctl is-active -q salt-master && exit 0; sleep 1; done"
    assert exec_in(FLEET.masters[1], "sh", "-c", started + "; exit 1").returncode == 0
    assert FLEET.served()[0] == before[0]
    assert FLEET.served()[1] == sha  # switched before it stopped; never switched back
    assert "SPLIT" in status(repo)
    time.sleep(10)  # the minion reconnects to master2
    rolled_back = saltline("rollback", "staging", estate=repo, reports=repo / "reports")
    assert rolled_back.exit_code == 0, rolled_back.output
    assert FLEET.served() == before
    assert FLEET.lease_holders() == ["", ""]


def test_a_minion_stopped_mid_rollout_returns_the_environment(repo):
    before = FLEET.served()
    text = "a minion stops"
    _, process = in_its_batch(FLEET, repo, text)
    subprocess.run(["docker", "stop", "-t", "1", FLEET.minion], check=True, capture_output=True)
    try:
        output = process.communicate(timeout=300)[0]
        assert process.returncode == 1, output
        assert re.search(r"batch 1/1 staging/web1: (did not return|returned no state results)",
                         output)  # fmt: skip
        assert FLEET.served() == before
        last = audit(repo)[-1]
        assert last["outcome"] == "rolled-back"
        assert last["reapplied"]["web1"].startswith("did not return")
    finally:
        subprocess.run(["docker", "start", FLEET.minion], check=True, capture_output=True)
    assert FLEET.lease_holders() == ["", ""]


def test_a_hanging_state_times_out_and_returns_the_environment(repo):
    """Salt's CLI waits as long as the job runs; the master command's own timeout
    (promotion.timeout 40 s + 60 s) ends it; the job still running on web1 is killed
    before the masters switch back and web1 re-applies the previous release."""
    before = FLEET.served()
    new_commit(repo, "a state that hangs", sleep=600)
    run = force_promote(repo)
    try:
        assert run.exit_code == 1, run.output
        assert "salt did not finish within 100s" in run.output
        assert "staging/web1: killed job " in run.output
        assert exec_in(FLEET.minion, "pgrep", "-f", "^sleep 600").returncode == 1
        assert FLEET.served() == before
        last = audit(repo)[-1]
        assert last["outcome"] == "failed" and last["applied"] == ["web1"]
        assert "did not finish within 100s" in last["error"]
        assert last["reapplied"] == {"web1": "ok"}  # not "state.apply is running"
    finally:
        exec_in(FLEET.minion, "pkill", "-f", "^sleep 600")
    back = new_commit(repo, "healthy again")
    recovered = force_promote(repo)
    assert recovered.exit_code == 0, recovered.output
    assert FLEET.served() == [back, back]
    assert git(repo, "status", "--porcelain") == ""


def test_a_stale_key_is_refused_or_skipped_and_the_masters_own_minion_is_not_a_target(repo):
    """ghost1: a decommissioned host whose key master1 still accepts. master2's own
    minion: answers, but the top file gives it nothing. Under `unreachable: fail` the
    promotion is refused naming ghost1 before anything changes; under `skip` ghost1 is
    left out (audited; `status` names it as behind), the master's own minion is not
    targeted, and web1 gets the release."""
    master1, master2 = FLEET.masters
    own = f"{master2}-self"
    keys = "/etc/salt/pki/master/minions"
    skip_config = repo / "saltline-skip.yml"
    assert exec_in(master1, "cp", f"{keys}/web1", f"{keys}/ghost1").returncode == 0
    try:
        start_own_minion(master2, own)
        before = FLEET.served()
        # the same estate under `unreachable: skip`, committed with the change (a
        # promotion reads its configuration from the commit it ships)
        settings = yaml.safe_load((repo / "saltline.yml").read_text())
        settings["promotion"]["unreachable"] = "skip"
        skip_config.write_text(config_writer.dump(settings))
        sha = new_commit(repo, "with a stale key")
        refused = force_promote(repo)
        assert refused.exit_code == 1, refused.output
        assert "refused: staging/ghost1 did not answer a ping within 5s" in refused.output
        assert "uploaded" not in refused.output and FLEET.served() == before
        assert audit(repo)[-1]["unreachable"] == ["ghost1"]
        skipped = force_promote(repo, config=skip_config.name)
        assert skipped.exit_code == 0, skipped.output
        assert "skipped (promotion.unreachable: skip): staging/ghost1" in skipped.output
        assert f"dry run staging/{own}: not targeted" in skipped.output
        assert "batch 1/1 staging/web1: ok" in skipped.output
        assert f"staging/{own}: ok" not in skipped.output  # never sent an apply
        assert FLEET.served() == [sha, sha]
        last = audit(repo)[-1]
        assert last["outcome"] == "promoted" and last["applied"] == ["web1"]
        assert (last["skipped"], last["not_targeted"]) == (["ghost1"], [own])
        report = status(repo)
        assert f"BEHIND {sha[:12]}: ghost1" in report
        assert f"saltline promote staging {sha[:12]}" in report
    finally:
        skip_config.unlink(missing_ok=True)
        exec_in(master1, "rm", "-f", f"{keys}/ghost1")
        exec_in(master2, "sh", "-c", f"systemctl stop salt-minion; salt-key -y -d {own}")


def start_own_minion(master: str, minion_id: str) -> None:
    """A salt-minion on the master's own host, its key accepted there."""
    config = f"id: {minion_id}\nmaster: localhost\n"
    started = exec_in(master, "sh", "-c", f"printf '{config}' > /etc/salt/minion.d/self.conf"
                      " && systemctl start salt-minion")  # fmt: skip
    assert started.returncode == 0, started.stderr
    deadline = time.monotonic() + 90
    while exec_in(master, "salt", "--timeout=5", minion_id, "test.ping").returncode != 0:
        assert time.monotonic() < deadline, f"{minion_id} never answered"
        exec_in(master, "salt-key", "-y", "-a", minion_id)
        time.sleep(2)
