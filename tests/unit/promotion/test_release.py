"""The release store's shell scripts, run for real against a local directory.

A transport that runs commands on this machine, with the master's /srv/saltline
mapped to a temporary directory, stands in for a master.
"""

from __future__ import annotations

import io
import os
import subprocess
import tarfile
import time
from dataclasses import replace
from pathlib import Path

import pytest

from saltline.engine.containers import CommandResult
from saltline.errors import CommandTimeout, LockHeld, MasterError, SaltlineError
from saltline.master_url import parse_master_url
from saltline.promotion import lease
from saltline.promotion.lease import Holder
from saltline.promotion.paths import MASTER_SIGNERS, RELEASE_ROOT
from saltline.promotion.recovery import rollback_targets
from saltline.promotion.release import ReleaseStore, content_digest
from saltline.promotion.transport import CommandChecks


class LocalTransport(CommandChecks):
    address = parse_master_url("docker://local-test-master")

    def __init__(self, root: Path, timeout: int = 300):
        self.root = root
        self.timeout = timeout

    def _map(self, text: str) -> str:
        signers = self.root.parent / "etc-saltline" / "allowed_signers"
        return text.replace(RELEASE_ROOT, str(self.root)).replace(MASTER_SIGNERS, str(signers))

    def run(self, command: list[str], stdin: bytes | None = None) -> CommandResult:
        try:
            done = subprocess.run([self._map(arg) for arg in command], capture_output=True,
                                  input=stdin, check=False, timeout=self.timeout)  # fmt: skip
        except subprocess.TimeoutExpired:
            raise CommandTimeout(f"{command[0]} did not finish within {self.timeout}s") from None
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
    """Upload, switch and finish a rollout, as a successful promotion does."""
    store.upload(sha, release_tar(sha), {"sha": sha})
    store.switch(sha, {"action": "promote"})
    store.mark_rolled_out(sha, {"action": "promote"})
    time.sleep(0.01)  # distinct mtimes for pruning order


def test_a_release_is_uploaded_whole_verified_and_switched_to(store, tmp_path):
    deploy(store, "a" * 40)
    assert store.current() == "a" * 40
    assert (tmp_path / "srv" / "current" / "salt" / "top.sls").read_text() == f"{'a' * 40}: {{}}\n"
    assert store.stamp("a" * 40)["digest"] == content_digest(release_tar("a" * 40))
    assert store.verify("a" * 40, content_digest(release_tar("a" * 40)))
    assert not list((tmp_path / "srv" / "releases").glob(".incoming-*"))
    assert (tmp_path / "srv" / "current").is_symlink()


def test_a_tampered_release_fails_verification_and_is_uploaded_again(store, tmp_path):
    sha = "a" * 40
    store.upload(sha, release_tar(sha), {"sha": sha})
    (tmp_path / "srv" / "releases" / sha / "salt" / "top.sls").write_text("tampered: {}\n")
    assert not store.verify(sha, content_digest(release_tar(sha)))
    store.upload(sha, release_tar(sha), {"sha": sha})
    assert store.verify(sha, content_digest(release_tar(sha)))


class MeddlingTransport(LocalTransport):
    """Something else writes into the release while it is unpacked."""

    def unpack(self, directory: str, tar: bytes) -> None:
        super().unpack(directory, tar)
        (Path(self._map(directory)) / "salt" / "top.sls").write_text("meddled: {}\n")
        (Path(self._map(directory)) / "salt" / "stray.pyc").write_bytes(b"\0")


def test_an_upload_that_does_not_match_names_the_files_that_differ(tmp_path):
    store = ReleaseStore(MeddlingTransport(tmp_path / "srv"))
    with pytest.raises(SaltlineError) as raised:
        store.upload("a" * 40, release_tar("a" * 40), {"sha": "a" * 40})
    assert "changed: salt/top.sls; not uploaded: salt/stray.pyc" in str(raised.value)


def test_only_a_finished_rollout_counts_as_reached(store):
    sha = "a" * 40
    store.upload(sha, release_tar(sha), {"sha": sha})
    store.offer(sha)  # a dry run
    assert not store.reached(sha)
    store.switch(sha, {"action": "promote"})  # switched, but the rollout did not finish
    assert not store.reached(sha)
    store.mark_rolled_out(sha, {"action": "promote"})
    assert store.reached(sha)


def test_restore_puts_current_back_or_removes_it(store, tmp_path):
    deploy(store, "a" * 40)
    store.upload("b" * 40, release_tar("b"), {"sha": "b" * 40})
    store.switch("b" * 40, {})
    store.restore("a" * 40, {})
    assert store.current() == "a" * 40
    store.restore(None, {})
    assert store.current() is None
    assert not (tmp_path / "srv" / "current").exists()
    events = [entry["event"] for entry in store.history()]
    assert events == ["switched", "rolled-out", "switched", "restored", "restored"]


def test_previous_is_the_last_release_rolled_out_before_current(store):
    deploy(store, "a" * 40)
    deploy(store, "b" * 40)
    store.upload("c" * 40, release_tar("c"), {"sha": "c" * 40})
    store.switch("c" * 40, {})  # a rollout that never finished
    assert store.previous() == "b" * 40


def test_a_withdrawn_release_counts_as_reached_nowhere_and_is_no_rollback_target(store):
    """A rollback withdraws the release it leaves: the next environment's gate refuses it,
    a second rollback does not return to it; a later rollout of it stands again."""
    a, b, c = "a" * 40, "b" * 40, "c" * 40
    for sha in (a, b, c):
        deploy(store, sha)
    store.switch(b, {"action": "rollback"})
    store.withdraw(c, {"action": "rollback"})
    assert not store.reached(c)
    assert store.withdrawn() == [c]
    assert store.previous() == a  # never c, which was left
    assert store.last_rolled_out() == b
    store.mark_rolled_out(c, {"action": "promote"})  # promoted again: it stands again
    assert store.reached(c) and store.withdrawn() == []


def test_a_torn_history_line_is_skipped(store, tmp_path):
    deploy(store, "a" * 40)
    with (tmp_path / "srv" / "history.jsonl").open("a") as history:
        history.write('{"sha": "b", "ev')  # a write cut short
    assert store.reached("a" * 40)


def test_switching_to_a_missing_release_is_an_error(store):
    with pytest.raises(SaltlineError, match="has no whole release"):
        store.switch("f" * 40, {})


def test_prune_keeps_the_newest_and_never_current_candidate_or_previous(store, tmp_path):
    for letter in "abcde":
        deploy(store, letter * 40)
    store.offer("b" * 40)
    store.restore("a" * 40, {})  # current: a, previous rolled out: e
    removed = store.prune(keep=2)
    left = sorted(p.name for p in (tmp_path / "srv" / "releases").iterdir())
    assert left == ["a" * 40, "b" * 40, "d" * 40, "e" * 40]
    assert removed == ["c" * 40]


def test_a_second_lease_is_refused_naming_the_holder_and_its_age(store):
    alice = Holder("t1", "alice", "ci-1", 4242, "promote", "a" * 40, time.time() - 300)
    lease.acquire(store, alice)
    with pytest.raises(LockHeld) as refused:
        lease.acquire(store, Holder.mine("promote", "b" * 40))
    assert "alice@ci-1 pid 4242 (promote aaaaaaaaaaaa), held for 5 min" in str(refused.value)
    assert "saltline unlock ENV" in str(refused.value)


class FlakyTransport(LocalTransport):
    """Every command fails as no command on a master can (the engine lost its exit)."""

    def run(self, command: list[str], stdin: bytes | None = None) -> CommandResult:
        return CommandResult(-1, "", "")


def test_a_lease_that_cannot_be_read_is_an_error_never_a_lease_gone(tmp_path):
    store = ReleaseStore(FlakyTransport(tmp_path / "srv"))
    with pytest.raises(MasterError, match="test failed"):
        lease.read_holder(store)
    with pytest.raises(MasterError, match="readlink failed"):
        store.current()


def test_only_the_holder_releases_its_lease(store):
    alice, bob = Holder.mine("promote", None), Holder.mine("rollback", None)
    lease.acquire(store, alice)
    lease.release(store, bob)
    assert lease.read_holder(store) == (True, alice)
    lease.release(store, alice)
    assert lease.read_holder(store) == (False, None)
    lease.acquire(store, bob)


def test_a_lease_without_a_readable_owner_is_still_a_lease(store, tmp_path):
    (tmp_path / "srv" / "deploy.lock").mkdir(parents=True)
    (tmp_path / "srv" / "deploy.lock" / "owner.json").write_text("{garbage")
    with pytest.raises(LockHeld, match="an owner that cannot be read"):
        lease.acquire(store, Holder.mine("promote", None))
    lease.break_lease(store, None)
    lease.acquire(store, Holder.mine("promote", None))


def test_a_holder_on_this_host_whose_process_is_gone_is_gone():
    mine = Holder.mine("promote", None)
    assert not mine.is_gone()
    assert replace(mine, pid=2**22 + 7).is_gone()
    assert replace(mine, process_start="1").is_gone()  # its pid is another process's now
    assert not replace(mine, host="another-host", pid=2**22 + 7).is_gone()
    # another container with the same hostname: its pid means nothing here
    assert not replace(mine, pid=2**22 + 7, pid_namespace="pid:[4026531836]x").is_gone()
    # written before namespaces were recorded: host and pid alone, as then
    assert Holder("t", "u", mine.host, 2**22 + 7, "promote", None, 0).is_gone()


def test_a_broken_or_unlocked_lease_stops_its_former_holder_at_its_next_step(store):
    alice, bob = Holder.mine("promote", "a" * 40), Holder.mine("promote", "b" * 40)
    lease.acquire(store, alice)
    lease.check_held(store, alice)  # still hers
    lease.break_lease(store, alice)  # `saltline unlock`
    lease.acquire(store, bob)
    with pytest.raises(lease.LeaseLost, match=r"lease was broken or unlocked .* stopping"):
        lease.check_held(store, alice)
    lease.check_held(store, bob)


def test_rollback_goes_to_the_previous_release_of_a_whole_environment(tmp_path):
    one, two = (ReleaseStore(LocalTransport(tmp_path / name)) for name in ("m1", "m2"))
    for store in (one, two):
        deploy(store, "a" * 40)
        deploy(store, "b" * 40)
    assert set(rollback_targets([one, two]).values()) == {"a" * 40}


def test_rollback_of_a_split_environment_returns_to_the_last_release_rolled_out_everywhere(
    tmp_path,
):
    one, two = (ReleaseStore(LocalTransport(tmp_path / name)) for name in ("m1", "m2"))
    for store in (one, two):
        deploy(store, "a" * 40)
        deploy(store, "b" * 40)
    one.upload("c" * 40, release_tar("c"), {})
    one.switch("c" * 40, {})  # killed after the first master switched
    assert set(rollback_targets([one, two]).values()) == {"b" * 40}


def test_a_hung_metadata_command_costs_its_short_timeout_not_an_applys(tmp_path):
    """A master whose disk hangs (its history blocks every append) fails a switch within
    the metadata timeout, while uploads keep the transport's own."""
    store = ReleaseStore(LocalTransport(tmp_path / "srv", timeout=300), metadata_timeout=1)
    sha = "a" * 40
    store.upload(sha, release_tar(sha), {"sha": sha})
    os.mkfifo(tmp_path / "srv" / "history.jsonl")  # nobody reads it: an append hangs
    started = time.monotonic()
    with pytest.raises(CommandTimeout, match="within 1s"):
        store.switch(sha, {"action": "promote"})
    assert time.monotonic() - started < 30
