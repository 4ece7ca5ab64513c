"""Fault injection, killed: a promotion sent SIGTERM (a CI cancel) or SIGKILL (a runner's
hard timeout, the OOM killer) at each phase, on two masters sharing web1.

After each: `saltline status` tells the truth, the next promote or rollback recovers
with no manual step (a dead lease of this host is broken, audited), no lease is left
that its owner.json does not explain, and every outcome saltline lived to see is
audited. Commits are promoted with `--force` (audited): the gate is tested in
test_promotion; here every other phase is.
"""

from __future__ import annotations

import json
import signal
import subprocess
import time

import pytest
import yaml

from saltline.adopt import config_writer
from tests.e2e.conftest import saltline
from tests.e2e.faults import (
    Fleet,
    audit,
    blocking_history,
    fault_estate,
    force_promote,
    in_its_batch,
    new_commit,
    start_promotion,
    status,
    wait_for,
)
from tests.e2e.fleet_estate import exec_in

FLEET = Fleet(["saltline-kill-master1", "saltline-kill-master2"])


@pytest.fixture(scope="module")
def repo(tmp_path_factory):
    with fault_estate(tmp_path_factory.mktemp("killed"), FLEET) as repo:
        yield repo


def kill(process: subprocess.Popen[str], sig: signal.Signals) -> tuple[int, str]:
    process.send_signal(sig)
    output = process.communicate(timeout=240)[0]
    return process.returncode, output


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
def test_killed_after_upload_changes_nothing_live(repo, sig):
    before = FLEET.served()
    sha = new_commit(repo, f"after upload, {sig.name}")
    process = start_promotion(repo)
    wait_for(FLEET.candidate_running, process, "the dry run")
    code, output = kill(process, sig)
    assert FLEET.served() == before  # phase 1 and the dry run change nothing live
    if sig == signal.SIGTERM:
        assert code == 130, output
        assert audit(repo)[-1]["outcome"] == "interrupted"
        assert FLEET.lease_holders() == ["", ""]
        assert not FLEET.candidate_running()
    else:
        assert all(f'"pid": {process.pid}' in holder for holder in FLEET.lease_holders())
        assert f"pid {process.pid} (promote {sha[:12]})" in status(repo)
    recovered = force_promote(repo)  # breaks the dead lease by itself
    assert recovered.exit_code == 0, recovered.output
    assert FLEET.served() == [sha, sha]
    assert f"{sha[:12]} rolled out" in status(repo)
    assert FLEET.leftovers() == ""


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
def test_killed_after_the_first_master_switched(repo, sig):
    """master1's history is a FIFO: its switch blocks on the history append, so saltline
    is caught between the two masters' switches."""
    before = FLEET.served()
    sha = new_commit(repo, f"between masters, {sig.name}")
    with blocking_history(FLEET.masters[0]) as drain:
        process = start_promotion(repo)
        wait_for(lambda: FLEET.served()[0] == sha, process, "master1's switch")
        assert FLEET.served()[1] == before[1]
        process.send_signal(sig)
        while process.poll() is None:  # SIGTERM: the undo appends to the history too
            drain()
        output = process.communicate()[0]
    if sig == signal.SIGTERM:
        assert process.returncode == 130, output
        assert FLEET.served() == before  # switched back: all masters or none
        assert audit(repo)[-1]["outcome"] == "interrupted"
        assert "SPLIT" not in status(repo)
    else:
        assert FLEET.served() == [sha, before[1]]
        report = status(repo)
        assert "SPLIT" in report and "NOT rolled out" in report and "deploy lease held" in report
        rolled_back = saltline("rollback", "staging", estate=repo, reports=repo / "reports")
        assert rolled_back.exit_code == 0, rolled_back.output
        assert FLEET.served() == before
        assert any(e["outcome"] == "lease-broken" for e in audit(repo)[-3:])
    assert FLEET.lease_holders() == ["", ""]
    assert FLEET.leftovers() == ""


def scheduled_highstate() -> bool | None:
    """Whether web1's scheduled highstate (added below) is enabled, as its schedule says."""
    listed = exec_in(FLEET.masters[0], "salt", "--out=json", "web1", "schedule.list",
                     "return_yaml=False")  # fmt: skip
    job = json.loads(listed.stdout or "{}").get("web1", {}).get("e2e-highstate")
    return None if not isinstance(job, dict) else job.get("enabled", True) is not False


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
def test_killed_in_the_middle_of_a_batch(repo, sig):
    """web1 has a scheduled highstate of its own: paused while the promotion runs, and
    resumed by the undo (SIGTERM) or, after a SIGKILL, by the next command (a rollback
    breaking the dead lease). A SIGTERM also kills the apply it had started."""
    added = exec_in(FLEET.masters[0], "salt", "web1", "schedule.add", "e2e-highstate",
                    "function=state.apply", "minutes=60", "persist=False")  # fmt: skip
    assert added.returncode == 0, added.stdout + added.stderr
    try:
        before = FLEET.served()
        text = f"mid batch, {sig.name}"
        sha, process = in_its_batch(FLEET, repo, text)
        assert scheduled_highstate() is False  # paused while the promotion runs
        code, output = kill(process, sig)
        if sig == signal.SIGTERM:
            assert code == 130, output
            assert FLEET.served() == before
            last = audit(repo)[-1]
            assert (last["outcome"], last["applied"]) == ("interrupted", ["web1"])
            assert "staging/web1: killed job " in output  # its apply stopped, not left running
            assert not FLEET.applying(text)()
            assert "`saltline rollback staging`" in output
            assert scheduled_highstate() is True
        else:
            assert FLEET.served() == [sha, sha]
            report = status(repo)
            assert f"{sha[:12]} NOT rolled out" in report
            assert "scheduled state jobs paused by a promotion or rollback: web1: " in report
            assert scheduled_highstate() is False  # nobody left to resume it …
            FLEET.wait_until_idle()  # the minion finishes the apply saltline started
            rolled_back = saltline("rollback", "staging", estate=repo, reports=repo / "reports")
            assert rolled_back.exit_code == 0, rolled_back.output
            assert "resumed scheduled state jobs: web1: e2e-highstate" in rolled_back.output
            assert scheduled_highstate() is True  # … until the next command took the lease
            assert FLEET.served() == before
        assert FLEET.lease_holders() == ["", ""]
    finally:
        exec_in(FLEET.masters[0], "salt", "web1", "schedule.delete", "e2e-highstate",
                "persist=False")  # fmt: skip


def test_a_second_signal_during_the_undo_waits_until_the_masters_are_back(repo):
    """A CI cancel: SIGINT, then SIGTERM seconds later, while the undo switches the
    masters back. master1's history is made a FIFO once the batch runs, so the undo
    blocks there, between switching master1 back and switching master2 back."""
    before = FLEET.served()
    text = "two signals"
    _, process = in_its_batch(FLEET, repo, text)
    with blocking_history(FLEET.masters[0]) as drain:
        process.send_signal(signal.SIGINT)
        wait_for(lambda: FLEET.served()[0] == before[0], process, "master1 switched back")
        process.send_signal(signal.SIGTERM)
        time.sleep(1)
        assert process.poll() is None, "the second signal cut the undo short"
        while process.poll() is None:
            drain()
        output = process.communicate()[0]
    assert process.returncode == 130, output
    assert "SIGTERM received while switching the masters back" in output
    assert FLEET.served() == before  # all masters back: never split
    last = audit(repo)[-1]
    assert (last["outcome"], last["applied"]) == ("interrupted", ["web1"])
    assert FLEET.lease_holders() == ["", ""]
    FLEET.wait_until_idle()


def test_an_unlocked_lease_stops_its_former_holder_at_its_next_step(repo):
    """Fencing: the promotion is held at master1's switch (its history a FIFO) while
    someone runs `saltline unlock`; the holder finishes that step, then finds its lease
    gone before its first batch and stops there, changing nothing more."""
    before = FLEET.served()
    sha = new_commit(repo, "unlocked under it")
    with blocking_history(FLEET.masters[0]) as drain:
        process = start_promotion(repo)
        wait_for(lambda: FLEET.served()[0] == sha, process, "master1's switch")
        unlocked = saltline("unlock", "staging", "--reason", "e2e: looks stale",
                            estate=repo, reports=repo / "reports")  # fmt: skip
        assert unlocked.exit_code == 0, unlocked.output
        while process.poll() is None:
            drain()
        output = process.communicate()[0]
    assert process.returncode == 1, output
    assert "deploy lease was broken or unlocked" in output and "stopping" in output
    assert "batch" not in output  # no minion applied anything after the unlock
    last = audit(repo)[-1]
    assert (last["outcome"], last["applied"]) == ("lease-lost", [])
    assert "NOT rolled out" in status(repo)
    healed = saltline("rollback", "staging", estate=repo, reports=repo / "reports")
    assert healed.exit_code == 0, healed.output
    assert FLEET.served() == before
    assert FLEET.lease_holders() == ["", ""]


def test_a_busy_minion_is_waited_for_then_named_and_its_batch_left_alone(repo):
    """web1 runs a state job of its own (an async state, as a scheduled highstate would):
    the batch waits promotion.busy_wait (5 s here), then the promotion fails naming the
    minion and the job, without sending web1 anything, and switches the masters back."""
    before = FLEET.served()
    FLEET.wait_until_idle()
    new_commit(repo, "while web1 is busy")
    # long enough to outlast the upload and the dry run on a loaded machine; ended below
    started = exec_in(FLEET.masters[0], "salt", "--async", "web1", "state.single", "cmd.run",
                      "name=sleep 240")  # fmt: skip
    assert "job id" in started.stdout.lower(), started.stdout + started.stderr
    try:
        run = force_promote(repo)
    finally:
        exec_in(FLEET.minion, "pkill", "-f", "^sleep 240")
    assert run.exit_code == 1, run.output
    assert "waiting up to 5s for busy minions: web1: state.single (job " in run.output
    assert "busy: state.single (job " in run.output and "still running after 5s" in run.output
    assert "batch 1/1 staging/web1" not in run.output  # web1 was sent nothing
    assert FLEET.served() == before
    last = audit(repo)[-1]
    assert (last["outcome"], last["applied"]) == ("rolled-back", [])
    FLEET.wait_until_idle()


def test_a_hung_metadata_command_costs_its_short_timeout_and_the_masters_are_restored(repo):
    """master2's history append hangs (a FIFO nobody reads, as a hung disk would): its
    switch fails after promotion.metadata_timeout (5 s here), not an apply's timeout, and
    every master is put back; the lease is released."""
    hung = repo / "saltline-hung.yml"
    settings = yaml.safe_load((repo / "saltline.yml").read_text())
    settings["promotion"]["metadata_timeout"] = 5
    hung.write_text(config_writer.dump(settings))
    before = FLEET.served()
    new_commit(repo, "a hung disk")
    try:
        with blocking_history(FLEET.masters[1]):
            run = force_promote(repo, config=hung.name)
    finally:
        hung.unlink()
    assert run.exit_code == 1, run.output
    assert f"{FLEET.masters[1]}: sh did not finish within 5s" in run.output
    assert FLEET.served() == before
    last = audit(repo)[-1]
    assert last["outcome"] == "failed" and "did not finish within 5s" in last["error"]
    assert FLEET.lease_holders() == ["", ""]
