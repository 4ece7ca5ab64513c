"""End-to-end: the real `saltline` command against real containers on a Docker engine."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import docker
import pytest

from saltline.cache import cache_dir
from saltline.config import target_key

REPO = Path(__file__).resolve().parents[2]
ESTATE = Path(__file__).parent / "estate"
# Passes and rollouts are signed, as on a protected branch, with the TEST key that the
# estates' promotion.allowed_signers lists; the attack tests take it away where they must
os.environ.setdefault("SALTLINE_SIGNING_KEY", str(REPO / "tests/secrets/saltline-test-signing"))
collect_ignore = ["estate"]  # the fixture estate's testinfra suites run inside saltline


@dataclass
class Run:
    exit_code: int
    output: str
    reports: Path

    @property
    def results(self) -> dict:
        return json.loads((self.reports / "results.json").read_text())

    def target(self, key: str) -> dict:
        targets = self.results["targets"]
        parts = ("environment", "minion", "platform", "salt_version")
        return next(t for t in targets if target_key(*(t[part] for part in parts)) == key)

    def stage(self, key: str, name: str) -> dict:
        return next(s for s in self.target(key)["stages"] if s["stage"] == name)


def saltline(*args: str, estate: Path, reports: Path, timeout: int = 900) -> Run:
    """Run the saltline CLI as a user would, from the estate's directory."""
    if args[0] in ("test", "lint", "render"):
        args = (*args, "--reports", str(reports))
    done = subprocess.run(
        [sys.executable, "-m", "saltline.cli", *args],
        cwd=estate,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    return Run(done.returncode, done.stdout + done.stderr, reports)


@pytest.fixture(scope="session")
def engine() -> docker.DockerClient:
    return docker.from_env()


def leftovers(client: docker.DockerClient, run_id: str) -> list[str]:
    """Names of anything still carrying this run's label."""
    label = {"label": f"io.saltline.run={run_id}"}
    return (
        [c.name for c in client.containers.list(all=True, filters=label)]
        + [n.name for n in client.networks.list(filters=label)]
        + [v.name for v in client.volumes.list(filters=label)]
    )


@pytest.fixture
def own_formula_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A cache of this test's own for formula mirrors and exports (SALTLINE_CACHE), that
    shares the Salt wheelhouses of the usual one: the images they built stay current."""
    shared = cache_dir() / "wheelhouse"
    own = tmp_path / "cache"
    own.mkdir()
    shared.mkdir(parents=True, exist_ok=True)
    (own / "wheelhouse").symlink_to(shared, target_is_directory=True)
    monkeypatch.setenv("SALTLINE_CACHE", str(own))
    return own


# The modules that take longest, first (2026-12-06, four workers on two cores: promotion
# 593 s, faults_lost 590, faults_killed 342, pipeline 264, adoption and render about
# 125, matrix 36 to 117): pytest-xdist hands whole modules to workers in this order
# (`--dist loadfile`), so the longest must not start last. It hands a worker its next
# module when two of its tests are left, and faults_lost's last two take four minutes:
# the next module in line there is images (two tests of a second), not matrix.
SLOWEST_FIRST = (
    "test_promotion.py",
    "test_faults_lost.py",
    "test_pipeline.py",
    "test_faults_killed.py",
    "test_adoption.py",
    "test_install.py",
    "test_golden_image.py",
    "test_render.py",
    "test_images.py",
    "test_matrix.py",
    "test_package_cache.py",
    "test_impact.py",
    "test_changed.py",
)


def pytest_configure(config: pytest.Config) -> None:
    # xdist would otherwise reorder the modules by their number of tests, most first:
    # the many quick render tests before the few long promotions.
    if hasattr(config.option, "loadscopereorder"):
        config.option.loadscopereorder = False


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def rank(item: pytest.Item) -> int:
        name = item.path.name
        return SLOWEST_FIRST.index(name) if name in SLOWEST_FIRST else len(SLOWEST_FIRST)

    items.sort(key=rank)  # stable: a module's tests keep their order
