"""The platform × Salt-version matrix end to end: another cell of the reference estate
than the default one (another Debian and another Salt at once), and cells that cannot
be: unknown ones, and a Salt version the platform's Python is not supported by.

The whole matrix (every cell, both minions) is `make matrix`; make test builds the
default cell's image and this one's (debian13 × Salt 3008)."""

from __future__ import annotations

import re
from pathlib import Path

import docker
import pytest

from saltline.engine import cleanup
from tests.e2e.conftest import REPO, saltline

KEY = "dev/web1@debian13/salt3008.3"


def empty_estate(tmp_path: Path, settings: str) -> Path:
    """An estate with no states, configured by `settings` (its saltline.yml)."""
    estate = tmp_path / "estate"
    (estate / "salt").mkdir(parents=True)
    (estate / "salt" / "top.sls").write_text("base: {}\n")
    (estate / "saltline.yml").write_text(settings)
    return estate


@pytest.fixture(scope="module")
def kept_run(tmp_path_factory, engine: docker.DockerClient):
    """web1 on Debian 13 with Salt 3008 in dev, its container kept to look inside."""
    reports = tmp_path_factory.mktemp("reports")
    run = saltline(
        "test", "web1", "--platform", "debian13", "--salt", "3008", "--environment", "dev",
        "--keep", estate=REPO, reports=reports,
    )  # fmt: skip
    run_id = run.results["run_id"]
    yield run, engine.containers.list(filters={"label": f"io.saltline.run={run_id}"})
    cleanup.remove_run(engine, run_id)  # kept: only this removes it


def test_another_cell_converges_verifies_and_says_all_four_parts(kept_run):
    run, containers = kept_run
    assert run.exit_code == 0, run.output
    for stage in ("converge", "idempotence", "verify"):
        assert run.stage(KEY, stage)["status"] == "passed", stage
    assert run.results["salt_versions"] == ["3008.3"]
    assert f"[{KEY}] converge PASS" in run.output
    (container,) = containers
    assert container.labels["io.saltline.salt-version"] == "3008.3"
    assert container.labels["io.saltline.platform"] == "debian13"
    version = container.exec_run(["salt-call", "--local", "--version"]).output.decode()
    assert version.startswith("salt-call 3008.3"), version
    os_release = container.exec_run(["cat", "/etc/os-release"]).output.decode()
    assert 'VERSION_ID="13"' in os_release


def test_the_cells_render_in_every_environment_as_their_golden_data(kept_run):
    """…against debian13's golden files: the components without a Debian-13 parameter
    file render with their defaults and OS family's layer, and the files show it."""
    run, _ = kept_run
    render = next(s for s in run.results["estate"] if s["stage"] == "render")
    assert render["status"] == "passed", render["message"]
    names = {case["name"] for case in render["cases"]}
    for environment in ("dev", "staging", "prod"):
        assert f"{environment}/web1@debian13/salt3008.3 data" in names


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            ("--salt", "3009"),
            "no Salt version '3009' in the matrix; configured: 3007.13, 3006.25, 3008.3",
        ),
        (("--platform", "debian14"), "no platform named 'debian14'"),
    ],
)
def test_an_unknown_cell_is_exit_2(tmp_path, args, expected):
    run = saltline("test", *args, estate=REPO, reports=tmp_path)
    assert run.exit_code == 2
    assert expected in run.output
    assert "Traceback" not in run.output


def test_a_salt_the_platforms_python_does_not_support_is_refused_before_any_build(engine, tmp_path):
    estate = empty_estate(
        tmp_path,
        'salt_version: "3007.13"\nsalt_versions: ["3007.13", "3006.0"]\n'
        "platforms: {debian12: {suite: bookworm, image: 'debian:bookworm'}}\n"
        "environments: {dev: {test: true}}\nminions: {web1: {}}\n",
    )
    run = saltline("test", "--salt", "3006", estate=estate, reports=tmp_path / "reports")
    assert run.exit_code == 2
    assert (
        "debian12 × Salt 3006.0: salt-3006.0 does not support Python 3.11 (bookworm): it ships "
        "locked requirements for Python 3.7, 3.8, 3.9, 3.10 only" in run.output
    )
    assert "Traceback" not in run.output
    unsupported = {"label": "io.saltline.salt-version=3006.0"}
    assert engine.images.list(filters=unsupported) == []  # nothing was built…
    assert engine.containers.list(all=True, filters=unsupported) == []  # …or started
    assert not list(Path(tmp_path / "reports").glob("pass-*"))


def test_a_suite_debootstrap_cannot_fetch_names_the_cell(engine, tmp_path):
    """No registry answers here and the mirror refuses: exit 2, naming the cell, and the
    cached base image of that suite untouched."""
    before = engine.images.get("saltline/base:bookworm").id
    estate = empty_estate(
        tmp_path,
        'salt_version: "3007.13"\n'
        "platforms: {debian12: {suite: bookworm, image: 'localhost:1/nosuch:bookworm',\n"
        "                       mirror: 'http://127.0.0.1:9/debian'}}\n"
        "environments: {dev: {test: true}}\nminions: {web1: {}}\n",
    )
    run = saltline("test", estate=estate, reports=tmp_path / "reports")
    assert run.exit_code == 2, run.output
    assert "saltline: error: debian12 × Salt 3007.13: debootstrap failed" in run.output
    assert "Traceback" not in run.output
    assert engine.images.get("saltline/base:bookworm").id == before


def test_a_salt_whose_locked_requirement_the_index_lacks_names_it(engine, tmp_path):
    """Salt 3008.4 locks a certifi newer than the package index has: exit 2, naming the
    cell and the requirement, not a pip traceback; no image of it."""
    estate = empty_estate(
        tmp_path,
        'salt_version: "3007.13"\nsalt_versions: ["3007.13", "3008.4"]\n'
        "platforms: {debian12: {suite: bookworm, image: 'debian:bookworm'}}\n"
        "environments: {dev: {test: true}}\nminions: {web1: {}}\n",
    )
    run = saltline("test", "--salt", "3008", estate=estate, reports=tmp_path / "reports")
    assert run.exit_code == 2, run.output
    assert re.search(
        r"debian12 × Salt 3008\.4: Salt 3008\.4 for Python 3\.11 \(bookworm\) cannot be "
        r"installed: its locked requirement certifi==\S+ is not on the package index",
        run.output,
    ), run.output
    assert "Traceback" not in run.output
    assert engine.images.list(filters={"label": "io.saltline.salt-version=3008.4"}) == []
