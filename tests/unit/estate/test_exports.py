"""A run that may record a pass tests the commit's roots, as its release ships them:
not a working tree that differs unseen, symlinks refused alike, export rules alike."""

from __future__ import annotations

import io
import os
import subprocess
import tarfile
from pathlib import Path

import pytest

from saltline import config
from saltline.errors import UnshippableError
from saltline.estate import layout
from saltline.promotion import bundle, gate

SETTINGS = """\
salt_version: "3007.13"
platforms: {debian12: {suite: bookworm}}
environments: {dev: {test: true}}
minions: {web1: {roles: [web]}}
"""


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), "-c", "user.name=O", "-c", "user.email=o@example.test", *args],
        check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip


@pytest.fixture
def estate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SALTLINE_CACHE", str(tmp_path / "cache"))
    repo = tmp_path / "repo"
    (repo / "salt").mkdir(parents=True)
    (repo / "pillar").mkdir()
    (repo / "salt" / "top.sls").write_text("base: {'*': [web]}\n")
    (repo / "salt" / "web.sls").write_text("tested: {}\n")
    (repo / "pillar" / "top.sls").write_text("base: {}\n")
    (repo / "saltline.yml").write_text(SETTINGS)
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "estate")
    return repo


def shipped(repo: Path, sha: str) -> dict[str, bytes]:
    cfg = config.load(repo / "saltline.yml")
    with tarfile.open(fileobj=io.BytesIO(bundle.release_tar(cfg, sha))) as tar:
        return {m.name: tar.extractfile(m).read() for m in tar.getmembers() if m.isfile()}  # type: ignore[union-attr]


def as_tested(repo: Path, sha: str) -> dict[str, bytes]:
    roots = layout.resolve(config.load(repo / "saltline.yml"), commit=sha)
    files = {}
    for kind, found in (("salt", roots.states), ("pillar", roots.pillar)):
        for root in found:
            for path in root.host.rglob("*"):
                if path.is_file():
                    files[f"{kind}/{path.relative_to(root.host)}"] = path.read_bytes()
    return files


def test_a_skip_worktree_file_is_tested_as_committed(estate):
    sha = git(estate, "rev-parse", "HEAD").strip()
    git(estate, "update-index", "--skip-worktree", "salt/web.sls")
    (estate / "salt" / "web.sls").write_text("only on this laptop: {}\n")
    assert git(estate, "status", "--porcelain") == ""  # git status does not see it
    assert as_tested(estate, sha)["salt/web.sls"] == b"tested: {}\n"
    assert as_tested(estate, sha) == shipped(estate, sha)


def test_export_rules_apply_to_the_test_and_the_release_alike(estate):
    (estate / ".gitattributes").write_text(
        "salt/notes.txt export-ignore\nsalt/id.sls export-subst\n"
    )
    (estate / "salt" / "notes.txt").write_text("not shipped\n")
    (estate / "salt" / "id.sls").write_text("commit: $Format:%H$\n")
    git(estate, "add", "-A")
    git(estate, "commit", "-qm", "export rules")
    sha = git(estate, "rev-parse", "HEAD").strip()
    files = as_tested(estate, sha)
    assert "salt/notes.txt" not in files
    assert files["salt/id.sls"] == f"commit: {sha}\n".encode()
    assert files == shipped(estate, sha)


def test_a_committed_symlink_is_refused_when_tested_and_when_shipped(estate):
    os.symlink("/etc/passwd", estate / "salt" / "users.sls")
    git(estate, "add", "-A")
    git(estate, "commit", "-qm", "a symlink")
    sha = git(estate, "rev-parse", "HEAD").strip()
    with pytest.raises(UnshippableError, match=r"salt/users.sls is a symlink \(to /etc/passwd\)"):
        as_tested(estate, sha)
    with pytest.raises(UnshippableError, match=r"salt/users.sls is a symlink"):
        shipped(estate, sha)
    with pytest.raises(UnshippableError):  # a run that would record a pass: refused first
        gate.snapshot(config.load(estate / "saltline.yml"))
