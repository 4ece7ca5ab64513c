"""Ctrl-C in the middle of a run, and `saltline destroy`, leave nothing behind."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import pytest

from tests.e2e.conftest import ESTATE, leftovers, saltline


@pytest.mark.serial  # timing: a loaded engine can take minutes to remove a systemd container
def test_ctrl_c_during_converge_removes_the_run(engine, tmp_path):
    process = subprocess.Popen(
        [sys.executable, "-m", "saltline.cli", "test", "slow1", "--reports", str(tmp_path)],
        cwd=ESTATE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    run_id = None
    deadline = time.monotonic() + 300
    while run_id is None and time.monotonic() < deadline and process.poll() is None:
        found = engine.containers.list(filters={"label": "io.saltline.minion=slow1"})
        if found:
            run_id = found[0].labels["io.saltline.run"]
        time.sleep(0.5)
    assert run_id is not None, "the slow minion never started"
    time.sleep(3)  # well into converge (the state sleeps 120 s)
    process.send_signal(signal.SIGINT)
    output, _ = process.communicate(timeout=180)
    assert process.returncode == 130, output
    assert "interrupted" in output
    assert leftovers(engine, run_id) == []


@pytest.mark.serial  # destroy removes every test run on the engine, other modules' too
def test_keep_then_destroy_removes_everything(engine, tmp_path):
    run = saltline("test", "good1", "--keep", estate=ESTATE, reports=tmp_path)
    assert run.exit_code == 0, run.output
    run_id = run.results["run_id"]
    assert leftovers(engine, run_id)  # kept: a container and its network
    destroyed = saltline("destroy", estate=ESTATE, reports=tmp_path)
    assert destroyed.exit_code == 0, destroyed.output
    assert f"saltline-{run_id}-dev-good1-debian12" in destroyed.output
    assert leftovers(engine, run_id) == []


def test_login_without_a_kept_minion_says_what_to_do(tmp_path):
    run = saltline("login", "good1", estate=ESTATE, reports=tmp_path)
    assert run.exit_code == 2
    assert "no running test minion 'good1'; run `saltline test good1 --keep` first" in run.output


@pytest.mark.serial  # a concurrent run of another module would reap them first
def test_a_killed_runs_leftovers_are_reaped_by_the_next_run(engine, tmp_path):
    """SIGKILL leaves the run's containers and network; the next run removes them."""
    process = subprocess.Popen(
        [sys.executable, "-m", "saltline.cli", "test", "slow1", "--reports", str(tmp_path)],
        cwd=ESTATE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    run_id = None
    deadline = time.monotonic() + 300
    while run_id is None and time.monotonic() < deadline and process.poll() is None:
        found = engine.containers.list(filters={"label": "io.saltline.minion=slow1"})
        run_id = found[0].labels["io.saltline.run"] if found else None
        time.sleep(0.5)
    assert run_id is not None, "the slow minion never started"
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    assert leftovers(engine, run_id)  # nothing could clean up
    later = saltline("test", "good1", estate=ESTATE, reports=tmp_path / "later")
    assert later.exit_code == 0, later.output
    assert "removed what runs that are gone left behind" in later.output
    assert leftovers(engine, run_id) == []
