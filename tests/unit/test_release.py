"""The release store's shell scripts, run for real against a local directory.

A transport that runs commands on this machine, with the master's /srv/saltline
mapped to a temporary directory, stands in for a master.
"""

from __future__ import annotations

import io
import re
import subprocess
import tarfile
import time
from pathlib import Path

import pytest

from saltline.engine.containers import CommandResult
from saltline.errors import LockHeld, SaltlineError
from saltline.master_url import parse_master_url
from saltline.promotion.release import RELEASE_ROOT, ReleaseStore


class LocalTransport:
    address = parse_master_url("docker://local-test-master")

    def __init__(self, root: Path):
        self.root = root

    def _map(self, text: str) -> str:
        return text.replace(RELEASE_ROOT, str(self.root))

    def run(self, command: list[str], stdin: bytes | None = None) -> CommandResult:
        done = subprocess.run(
            [self._map(arg) for arg in command], capture_output=True, input=stdin, check=False
        )
        return CommandResult(done.returncode, done.stdout.decode(), done.stderr.decode())

    def unpack(self, directory: str, tar: bytes) -> None:
        with tarfile.open(fileobj=io.BytesIO(tar)) as archive:
            archive.extractall(self._map(directory), filter="data")


def release_tar(marker: str) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        data = f"{marker}: {{}}\n".encode()
        info = tarfile.TarInfo("salt/top.sls")
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


@pytest.fixture
def store(tmp_path):
    return ReleaseStore(LocalTransport(tmp_path / "srv"))


def deploy(store: ReleaseStore, sha: str) -> None:
    store.upload(sha, release_tar(sha), {"sha": sha})
    store.switch(sha, {"sha": sha, "action": "promote"})
    time.sleep(0.01)  # distinct mtimes for pruning order


def test_a_release_is_uploaded_whole_and_switched_to(store, tmp_path):
    store.acquire_lock({"by": "test"})
    deploy(store, "a" * 40)
    assert store.current() == "a" * 40
    assert (tmp_path / "srv" / "current" / "salt" / "top.sls").read_text() == f"{'a' * 40}: {{}}\n"
    assert store.stamp("a" * 40) == {"sha": "a" * 40}
    assert not list((tmp_path / "srv" / "releases").glob(".incoming-*"))
    assert (tmp_path / "srv" / "current").is_symlink()


def test_a_second_lock_is_refused_naming_the_holder(store):
    store.acquire_lock({"by": "alice"})
    with pytest.raises(LockHeld, match=re.escape('locked by another promotion: {"by": "alice"}')):
        store.acquire_lock({"by": "bob"})
    store.release_lock()
    store.acquire_lock({"by": "bob"})


def test_previous_skips_dry_runs_and_rollback_toggles(store):
    deploy(store, "a" * 40)
    deploy(store, "b" * 40)
    store.upload("c" * 40, release_tar("c"), {"sha": "c" * 40})
    store.switch("c" * 40, {"sha": "c" * 40, "dry_run": True})
    store.switch("b" * 40, {"sha": "b" * 40, "dry_run": True})
    assert store.current() == "b" * 40
    assert store.previous() == "a" * 40


def test_switching_to_a_missing_release_is_an_error(store):
    with pytest.raises(SaltlineError, match="has no whole release"):
        store.switch("f" * 40, {})


def test_prune_keeps_the_newest_and_never_current_or_previous(store, tmp_path):
    for letter in "abcde":
        deploy(store, letter * 40)
    store.switch("a" * 40, {"sha": "a" * 40, "action": "rollback"})  # current: a, previous: e
    removed = store.prune(keep=2)
    left = sorted(p.name for p in (tmp_path / "srv" / "releases").iterdir())
    assert left == ["a" * 40, "d" * 40, "e" * 40]  # the two newest, and current
    assert sorted(removed) == ["b" * 40, "c" * 40]
