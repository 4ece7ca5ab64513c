"""When a master's custom modules are synced: the shell scripts run for real, with the
master's /srv/saltline mapped to a temporary directory and a `salt-run` that records its
calls in place of Salt's."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from saltline.promotion import master_modules, remote
from saltline.promotion.paths import RELEASE_ROOT


@pytest.fixture
def master(tmp_path: Path) -> Path:
    """A master's release root, `current` and `candidate` each a release of their own."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    salt_run = bin_dir / "salt-run"
    salt_run.write_text(
        '#!/bin/sh\necho "$*" >> "$SALT_RUN_LOG"\n'
        '[ ! -e "$SALT_RUN_FAILS" ] || { echo "sync failed" >&2; exit 1; }\n'
    )
    salt_run.chmod(0o755)
    root = tmp_path / "srv"
    for release in ("current", "candidate"):
        (root / release / "salt").mkdir(parents=True)
    return root


def run(master: Path, script: str) -> tuple[int, list[str]]:
    log = master.parent / "salt-run.log"
    log.unlink(missing_ok=True)
    environment = {
        **os.environ,
        "PATH": f"{master.parent / 'bin'}:{os.environ['PATH']}",
        "SALT_RUN_LOG": str(log),
        "SALT_RUN_FAILS": str(master.parent / "fails"),
    }
    done = subprocess.run(["sh", "-c", script.replace(RELEASE_ROOT, str(master)), "sh"],
                          env=environment, capture_output=True, text=True, check=False)  # fmt: skip
    return done.returncode, log.read_text().splitlines() if log.exists() else []


def add_module(master: Path, release: str) -> None:
    (master / release / "salt" / "_runners").mkdir()
    (master / release / "salt" / "_runners" / "deploy.py").write_text("def go(): ...\n")


SYNC = "--out=quiet saltutil.sync_all"
CANDIDATE_SYNC = f"-c /etc/candidate {SYNC}"


UPDATE = "--out=quiet fileserver.update"


def test_a_master_whose_releases_never_had_modules_is_only_updated(master):
    assert run(master, master_modules.LIVE_REFRESH) == (0, [UPDATE])
    assert not (master / "master-modules").exists()


def test_modules_sync_when_they_change_and_a_release_without_them_removes_them(master):
    add_module(master, "current")
    assert run(master, master_modules.LIVE_REFRESH) == (0, [UPDATE, SYNC])
    assert run(master, master_modules.LIVE_REFRESH) == (0, [UPDATE])  # the same modules
    (master / "current" / "salt" / "_runners" / "deploy.py").write_text("def go(): 2\n")
    assert run(master, master_modules.LIVE_REFRESH) == (0, [UPDATE, SYNC])
    shutil.rmtree(master / "current" / "salt" / "_runners")  # the next release has none
    assert run(master, master_modules.LIVE_REFRESH) == (0, [UPDATE, SYNC])
    assert not (master / "master-modules").exists()
    assert run(master, master_modules.LIVE_REFRESH) == (0, [UPDATE])


def test_a_failed_sync_says_so_and_is_repeated_next_time(master):
    add_module(master, "current")
    (master.parent / "fails").touch()
    assert run(master, master_modules.LIVE_REFRESH)[0] == remote.Exit.MODULE_SYNC_FAILED
    (master.parent / "fails").unlink()
    assert run(master, master_modules.LIVE_REFRESH) == (0, [UPDATE, SYNC])


@pytest.mark.parametrize(
    ("candidate_has_modules", "live_synced", "expected"),
    [(False, None, []), (True, None, [CANDIDATE_SYNC]), (False, "some", [CANDIDATE_SYNC]),
     (True, "the same", [])],
)  # fmt: skip
def test_the_candidate_syncs_its_copy_when_the_rollout_would(
    master, candidate_has_modules, live_synced, expected
):
    """`live_synced`: the modules saltline synced on the live master, if any."""
    if candidate_has_modules:
        add_module(master, "candidate")
    if live_synced:
        add_module(master, "current")
        assert run(master, master_modules.LIVE_REFRESH)[0] == 0
    marker = (master / "master-modules").read_text() if live_synced else None
    script = remote.script("master_modules.sh") + "sync_candidate_modules /etc/candidate"
    assert run(master, script) == (0, expected)
    assert (marker is None) or (master / "master-modules").read_text() == marker  # untouched
