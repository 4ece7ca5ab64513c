"""The shared package cache: a minion converged through it installs exactly what it
installs without it, the packages it fetched stay for the next run, and no run leaves
the cache attached to a network."""

from __future__ import annotations

from pathlib import Path

import docker
import pytest

from saltline.engine import apt_cache, cleanup
from tests.e2e.conftest import leftovers, saltline

ESTATE = {
    "saltline.yml": (
        'salt_version: "3007.13"\n'
        "platforms: {debian12: {suite: bookworm, image: 'debian:bookworm'}}\n"
        "environments: {dev: {test: true}}\n"
        "minions: {tools1: {roles: [tools]}}\n"
    ),
    "salt/top.sls": "base:\n  '*':\n    - tools\n",
    "salt/tools.sls": "tools:\n  pkg.installed:\n    - pkgs: [tree, hello]\n",
    "pillar/top.sls": "base: {}\n",
}


@pytest.fixture(scope="module")
def estate(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("package-cache")
    for name, text in ESTATE.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def converged_packages(engine: docker.DockerClient, estate: Path, tmp: Path, *flags: str):
    """Converge tools1 and keep it: the installed packages and versions, the run, and
    whether apt went through the cache."""
    stages = ("--only", "converge,report")
    run = saltline("test", *stages, "--keep", *flags, estate=estate, reports=tmp / "reports")
    assert run.exit_code == 0, run.output
    run_id = run.results["run_id"]
    label = {"label": f"io.saltline.run={run_id}"}
    try:
        (container,) = engine.containers.list(filters=label)
        done = container.exec_run(["dpkg-query", "-W", "-f", "${Package}=${Version}\n"])
        assert done.exit_code == 0
        proxied = container.exec_run(["test", "-e", apt_cache.APT_CONF_PATH]).exit_code == 0
        return sorted(done.output.decode().split()), run, proxied
    finally:
        cleanup.remove_run(engine, run_id)  # kept: only this removes it


def test_through_the_cache_a_minion_installs_what_it_installs_without(engine, estate, tmp_path):
    direct, _, proxied = converged_packages(engine, estate, tmp_path / "a", "--no-package-cache")
    assert not proxied
    cached, warm, proxied = converged_packages(engine, estate, tmp_path / "b")
    assert proxied and "no package cache" not in warm.output
    assert "tree=" in " ".join(cached) and "hello=" in " ".join(cached)
    assert cached == direct
    # What it fetched stays for the next run: the packages are in the cache's volume.
    held = engine.containers.get(apt_cache.NAME).exec_run(
        ["find", "/var/cache/apt-cacher-ng", "-name", "hello_*.deb"]
    )
    assert b"hello_" in held.output
    status = saltline("cache", "status", estate=estate, reports=tmp_path)
    assert status.exit_code == 0 and "packages: saltline-apt-cache running" in status.output
    assert leftovers(engine, warm.results["run_id"]) == []


def test_a_run_detaches_the_cache_from_its_networks(engine, estate, tmp_path):
    run = saltline("test", "--only", "converge,report", estate=estate, reports=tmp_path / "reports")
    assert run.exit_code == 0, run.output
    assert leftovers(engine, run.results["run_id"]) == []  # its network is gone…
    cache = engine.containers.get(apt_cache.NAME)
    networks = cache.attrs["NetworkSettings"]["Networks"]
    assert not [name for name in networks if run.results["run_id"] in name]  # …and detached


@pytest.mark.serial  # acts on the engine's one package cache
def test_clearing_the_cache_while_a_run_uses_it_is_refused(engine, estate, tmp_path):
    saltline("test", "--only", "converge,report", estate=estate, reports=tmp_path / "warm")
    network = engine.networks.create("saltline-e2e-cache-user", labels={"io.saltline.e2e": "1"})
    try:
        network.connect(apt_cache.NAME)
        refused = saltline("cache", "clear", estate=estate, reports=tmp_path)
        assert refused.exit_code == 2
        assert "in use by runs (saltline-e2e-cache-user)" in refused.output
        assert engine.containers.get(apt_cache.NAME).status == "running"
        cleared = saltline("cache", "clear", "renders", estate=estate, reports=tmp_path)
        assert cleared.exit_code == 0 and not (estate / ".saltline" / "renders").exists()
    finally:
        network.disconnect(apt_cache.NAME, force=True)
        network.remove()
