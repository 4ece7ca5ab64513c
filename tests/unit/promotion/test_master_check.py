"""A master's own check of a release's signed pass (remote/verify_pass.py, through the
release store's `serve`), run for real with this machine's Salt Python and ssh-keygen:
a master holding allowed_signers serves only what an allowed key passed."""

from __future__ import annotations

import io
import os
import shutil
import sys
import tarfile
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from saltline.errors import MasterError
from saltline.promotion import release, remote, signing
from saltline.promotion.pass_records import Fingerprint, PassRecord
from saltline.promotion.release import ReleaseStore
from tests.unit.promotion.test_release import LocalTransport, release_tar
from tests.unit.promotion.test_signing import ALLOWED, KEY, other_key

SHA = "c" * 40
MATRIX = ["dev/web1@debian12/salt3007.13"]


@pytest.fixture
def master(tmp_path, monkeypatch) -> ReleaseStore:
    """A master whose Salt is this machine's (salt-master beside this Python)."""
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    store = ReleaseStore(LocalTransport(tmp_path / "srv"))
    store.upload(SHA, release_tar(SHA), {"sha": SHA})
    return store


def enforce(tmp_path: Path) -> None:
    """The master's own allowed_signers, as its root installs it."""
    (tmp_path / "etc-saltline").mkdir()
    shutil.copy(ALLOWED, tmp_path / "etc-saltline" / "allowed_signers")


def signed(
    key: Path | None,
    digest: str,
    targets: list[str] = MATRIX,
    matrix: list[str] = MATRIX,
    predictions: dict[str, dict[str, list[str]]] | None = None,
) -> str:
    fingerprint = Fingerprint(SHA, {"salt": "t"}, digest, "c", "3007.13", matrix)
    record = PassRecord(fingerprint, targets, None, "now", predictions=predictions)
    if key is None:
        return record.to_json()
    return replace(record, signature=signing.sign(record.statement(), key)).to_json()


def test_the_masters_digest_is_saltlines(tmp_path):
    """Both sides compute the release's content digest (the master over the files it
    holds, saltline over the tar it ships): the same one, or no pass would ever count."""
    namespace: dict[str, Any] = {"__name__": "verify_pass"}
    exec(compile(remote.python("verify_pass.py"), "verify_pass.py", "exec"), namespace)
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for name, data in {
            "salt/top.sls": b"base: {}\n",
            "salt/b/ä.sls": b"x: 1\n",
            "salt/a.b/c.sls": b"",
            "pillar/top.sls": b"p: 2\n",
        }.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))  # fmt: skip
    with tarfile.open(fileobj=io.BytesIO(buffer.getvalue())) as archive:
        archive.extractall(tmp_path / "release", filter="data")
    on_master = namespace["content_digest"](str(tmp_path / "release"))
    assert on_master == release.content_digest(buffer.getvalue())


def test_a_master_without_allowed_signers_serves_as_before(master, tmp_path):
    assert master.switch(SHA, {}) is None
    assert master.current() == SHA


def test_a_master_with_allowed_signers_serves_a_release_an_allowed_key_passed(master, tmp_path):
    enforce(tmp_path)
    master.put_passes(SHA, [signed(KEY, release.content_digest(release_tar(SHA)))])
    assert master.switch(SHA, {}) == "signed by ci@saltline.test"
    assert master.current() == SHA


@pytest.mark.parametrize(
    ("case", "why"),
    [("none", "no pass records"), ("unsigned", "no record signed"),
     ("intruder", "no record signed"), ("other content", "no record is for this release"),
     ("part of the matrix", "part of the matrix only")],
)  # fmt: skip
def test_a_master_with_allowed_signers_refuses_anything_else(master, tmp_path, case, why):
    enforce(tmp_path)
    digest = release.content_digest(release_tar(SHA))
    lines = {
        "none": [],
        "unsigned": [signed(None, digest)],
        "intruder": [signed(other_key(tmp_path), digest)],
        "other content": [signed(KEY, "e" * 64)],
        "part of the matrix": [signed(KEY, digest, targets=[])],
    }[case]
    if lines:
        master.put_passes(SHA, lines)
    with pytest.raises(MasterError, match=f"refuses to serve releases/cccccccccccc: .*{why}"):
        master.switch(SHA, {})
    assert master.current() is None


def test_shards_whose_converges_saw_different_predictions_still_cover_the_matrix(master, tmp_path):
    """What each shard's converges saw of Salt's prediction is signed beside the
    fingerprint, not in it: the master groups the shards' passes as one."""
    enforce(tmp_path)
    digest = release.content_digest(release_tar(SHA))
    matrix = [*MATRIX, "dev/db1@debian12/salt3007.13"]
    master.put_passes(SHA, [
        signed(KEY, digest, [matrix[0]], matrix, {"web1": {"held": ["a"]}}),
        signed(KEY, digest, [matrix[1]], matrix, {"db1": {"unpredicted": ["b"]}}),
    ])  # fmt: skip
    assert master.switch(SHA, {}) == "signed by ci@saltline.test"
