"""Formulas as dependencies, with real git repositories: pins, the lock, the cache, what ships."""

from __future__ import annotations

import io
import re
import shutil
import socket
import subprocess
import tarfile
from pathlib import Path

import pytest

from saltline import config
from saltline.cache import cache_dir
from saltline.errors import ConfigError, GitError
from saltline.estate import formulas, layout
from saltline.promotion import bundle

MOTD = Path(__file__).resolve().parents[2] / "fixtures" / "motd-formula"
V1_TEMPLATE = (MOTD / "motd" / "files" / "motd.jinja").read_text()


def git(directory: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(directory), "-c", "user.name=t", "-c", "user.email=t@t.invalid", *args],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return done.stdout.strip()


@pytest.fixture(autouse=True)
def cache(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("SALTLINE_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


@pytest.fixture
def formula(tmp_path) -> Path:
    """The motd formula in a repository of its own: v1.0.0, then one more commit."""
    repo = tmp_path / "motd-formula"
    shutil.copytree(MOTD, repo)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "v1")
    git(repo, "tag", "v1.0.0")
    (repo / "motd" / "files" / "motd.jinja").write_text("{{ message }} (v2)\n")
    git(repo, "commit", "-q", "-am", "v2")
    return repo


def estate(tmp_path: Path, formulas_yaml: str) -> config.Config:
    root = tmp_path / "estate"
    (root / "salt").mkdir(parents=True, exist_ok=True)
    (root / "salt" / "top.sls").write_text("base:\n  '*':\n    - motd\n")
    (root / "salt" / "motd").mkdir(exist_ok=True)  # the estate's own file wins over the formula's
    (root / "salt" / "motd" / "README").write_text("estate\n")
    (root / "saltline.yml").write_text(
        'salt_version: "3007.13"\nplatforms: {debian12: {suite: bookworm}}\n'
        f"environments: [base]\nminions: {{app1: {{}}}}\nformulas:\n{formulas_yaml}"
    )
    return config.load(root / "saltline.yml")


def test_a_tag_is_pinned_to_its_commit_and_the_lock_is_written(tmp_path, formula):
    cfg = estate(tmp_path, f"  motd: {{git: 'file://{formula}', ref: v1.0.0}}\n")
    pins = formulas.locked(cfg)
    assert pins["motd"].commit == git(formula, "rev-parse", "v1.0.0^{commit}")
    assert formulas.read_lock(cfg) == pins
    [directory] = formulas.checkouts(cfg, pins).values()
    assert (directory / "motd" / "files" / "motd.jinja").read_text() == V1_TEMPLATE


def test_update_moves_a_pin_and_a_changed_ref_must_be_updated(tmp_path, formula):
    cfg = estate(tmp_path, f"  motd: {{git: 'file://{formula}', ref: v1.0.0}}\n")
    formulas.locked(cfg)
    moved = estate(tmp_path, f"  motd: {{git: 'file://{formula}', ref: main}}\n")
    with pytest.raises(ConfigError, match=r"saltline.yml wants .* at main, saltline.lock pins"):
        formulas.locked(moved)
    pins = formulas.update(moved, ["motd"])
    assert pins["motd"].commit == git(formula, "rev-parse", "main")
    with pytest.raises(ConfigError, match="no formula named 'nginx'"):
        formulas.update(moved, ["nginx"])


def test_a_ref_that_does_not_resolve_is_an_error(tmp_path, formula):
    cfg = estate(tmp_path, f"  motd: {{git: 'file://{formula}', ref: v9.9.9}}\n")
    with pytest.raises(ConfigError, match=r"ref 'v9.9.9' does not resolve in file://"):
        formulas.locked(cfg)


def test_a_source_that_cannot_be_fetched_is_an_error(tmp_path):
    cfg = estate(tmp_path, f"  motd: {{git: 'file://{tmp_path}/nowhere', ref: v1}}\n")
    with pytest.raises(ConfigError, match="formula motd: cannot fetch file://"):
        formulas.locked(cfg)


def test_a_stalled_fetch_fails_within_its_timeout_naming_the_source(tmp_path, monkeypatch):
    """A server that accepts the connection and never answers (real git, a real socket):
    the fetch is bounded, and nothing is left half-cloned."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    url = f"http://127.0.0.1:{server.getsockname()[1]}/motd.git"
    monkeypatch.setattr(formulas, "GIT_TIMEOUT", 2)
    cfg = estate(tmp_path, f"  motd: {{git: '{url}', ref: v1}}\n")
    try:
        with pytest.raises(ConfigError, match=rf"formula motd: fetching {re.escape(url)} did "
                           r"not finish within 2s \(a stalled server\?\)"):  # fmt: skip
            formulas.locked(cfg)
    finally:
        server.close()
    mirrors = cache_dir() / "formulas" / "mirrors"
    assert not any(mirrors.glob(".motd-*")) if mirrors.is_dir() else True


def test_a_dirty_path_formula_is_an_error(tmp_path, formula):
    (formula / "motd" / "init.sls").write_text("# changed\n")
    cfg = estate(tmp_path, f"  motd: {{path: '{formula}'}}\n")
    with pytest.raises(ConfigError, match=r"has uncommitted changes \(motd/init.sls\)"):
        formulas.locked(cfg)


def test_a_warm_cache_needs_no_source(tmp_path, formula):
    cfg = estate(tmp_path, f"  motd: {{git: 'file://{formula}', ref: v1.0.0}}\n")
    formulas.checkouts(cfg, formulas.locked(cfg))
    shutil.rmtree(formula)
    resolved = layout.resolve(cfg)
    assert [root.shown for root in resolved.states] == ["salt", "formula motd"]
    assert (resolved.states[1].host / "motd" / "init.sls").is_file()


def test_an_edited_formula_in_the_cache_is_refused_not_tested_or_shipped(tmp_path, formula):
    cfg = estate(tmp_path, f"  motd: {{git: 'file://{formula}', ref: v1.0.0}}\n")
    pins = formulas.locked(cfg)
    [directory] = formulas.checkouts(cfg, pins).values()
    (directory / "motd" / "files" / "motd.jinja").write_text("{{ message }} (edited)\n")
    (directory / "motd" / "extra.sls").write_text("extra: {}\n")
    with pytest.raises(
        ConfigError,
        match=r"formula motd: the cache's copy of commit .* was "
        r"edited \(changed: motd/files/motd.jinja, added: motd/extra.sls\)",
    ):
        formulas.checkouts(cfg, pins)
    shutil.rmtree(directory)  # what the message says to do
    [again] = formulas.checkouts(cfg, pins).values()
    assert (again / "motd" / "files" / "motd.jinja").read_text() == V1_TEMPLATE


def test_a_release_ships_the_commits_roots_and_its_locked_formula(tmp_path, formula):
    cfg = estate(tmp_path, f"  motd: {{git: 'file://{formula}', ref: v1.0.0}}\n")
    formulas.locked(cfg)
    root = cfg.root
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "estate")
    sha = git(root, "rev-parse", "HEAD")
    (root / "salt" / "top.sls").write_text("# not committed: not shipped\n")

    with tarfile.open(fileobj=io.BytesIO(bundle.release_tar(cfg, sha))) as tar:
        names = {m.name: tar.extractfile(m).read().decode() for m in tar.getmembers()}  # type: ignore[union-attr]
    assert names["salt/top.sls"] == "base:\n  '*':\n    - motd\n"
    assert names["salt/motd/README"] == "estate\n"  # the first root wins
    assert names["salt/motd/files/motd.jinja"] == V1_TEMPLATE  # the pinned tag, not main
    assert "salt/saltline.yml" not in names


def test_a_commit_whose_lock_disagrees_with_its_configuration_does_not_ship(tmp_path, formula):
    cfg = estate(tmp_path, f"  motd: {{git: 'file://{formula}', ref: v1.0.0}}\n")
    root = cfg.root
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "no lock")
    with pytest.raises(GitError, match=r"declares formulas but has no saltline\.lock"):
        bundle.release_tar(cfg, git(root, "rev-parse", "HEAD"))


def test_two_releases_never_give_a_path_the_same_mtime(tmp_path, formula):
    """A master caches hashes by path and mtime: equal mtimes would serve a stale file."""
    cfg = estate(tmp_path, f"  motd: {{git: 'file://{formula}', ref: v1.0.0}}\n")
    formulas.locked(cfg)
    git(cfg.root, "init", "-q", "-b", "main")
    git(cfg.root, "add", "-A")
    git(cfg.root, "commit", "-q", "-m", "estate")
    sha = git(cfg.root, "rev-parse", "HEAD")

    def mtimes() -> set[float]:
        with tarfile.open(fileobj=io.BytesIO(bundle.release_tar(cfg, sha))) as tar:
            return {member.mtime for member in tar.getmembers()}

    first, second = mtimes(), mtimes()
    assert len(first) == len(second) == 1
    assert first != second and 0 not in first
