"""The render stage against tests/fixtures/render-errors: one minion per kind of failure."""

from __future__ import annotations

import shutil
from pathlib import Path

import docker
import pytest

from tests.e2e.conftest import REPO, leftovers, saltline

ESTATE = REPO / "tests" / "fixtures" / "render-errors"


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    return saltline("render", estate=ESTATE, reports=tmp_path_factory.mktemp("reports"))


def render_case(run, name: str) -> dict:
    stage = next(s for s in run.results["estate"] if s["stage"] == "render")
    return next(c for c in stage["cases"] if c["name"] == name)


@pytest.mark.parametrize(
    ("minion", "expected"),
    [
        ("jinja-syntax", "salt/jinja_syntax.sls:4: Jinja syntax error"),
        (
            "undefined-var",
            "salt/undefined_var.sls:4: Jinja variable 'not_defined_var' is undefined",
        ),
        ("invalid-yaml", "salt/invalid_yaml.sls:4: invalid YAML"),
        ("missing-include", "salt/missing_include.sls:2: includes does.not.exist"),
        (
            "missing-requisite",
            "salt/missing_requisite.sls:5: (state ok-file) The following requisites",
        ),
        ("missing-pillar", "salt/missing_pillar.sls:4: Jinja variable"),
        (
            "deep-template",
            "salt/deep/map.jinja:2: Jinja variable 'str object' has no attribute 'nope'",
        ),
        (
            "missing-source",
            "salt/missing_source.sls:4: (state missing-source-file) salt://files/nope.conf "
            "is in no state root or formula",
        ),
        (
            "missing-template",
            "salt/missing_template.sls:1: imports nowhere/map.jinja, which is in no state root",
        ),
        (
            "conflicting-id",
            "salt/conflicting_id.sls:4: (state motd-file) state ID 'motd-file' is also "
            "declared in vendor/shared/init.sls:2",
        ),
    ],
)
def test_each_render_failure_names_file_and_line(rendered, minion, expected):
    assert rendered.exit_code == 1
    failure = render_case(rendered, f"dev/{minion}@debian12/salt3007.13")["failure"]
    assert failure.startswith(expected), failure
    assert expected in rendered.output


def test_pillar_failures_are_found_in_every_environment_that_has_them(rendered):
    assert render_case(rendered, "dev/ok@debian12/salt3007.13")["failure"] is None
    failure = render_case(rendered, "broken/ok@debian12/salt3007.13")["failure"]
    assert failure.splitlines() == [
        "pillar/broken.sls:3: invalid YAML: "
        "while parsing a block mapping did not find expected key",
        "pillar/top.sls:8: pillar SLS nosuch does not exist (broken)",
    ]


def test_a_render_failure_stops_the_run_before_any_minion_starts(engine, tmp_path):
    run = saltline("test", "jinja-syntax", "--skip", "lint", estate=ESTATE, reports=tmp_path)
    assert run.exit_code == 1
    assert [s["stage"] for s in run.results["estate"]] == ["render"]
    assert run.results["targets"] == []
    assert "converge" not in run.output
    assert leftovers(engine, run.results["run_id"]) == []


def test_the_reference_estate_renders_in_every_environment_as_its_golden_data(tmp_path):
    run = saltline("render", "--default-cell", estate=REPO, reports=tmp_path)
    assert run.exit_code == 0, run.output
    names = [c["name"] for c in run.results["estate"][0]["cases"]]
    assert names == [
        f"{env}/{minion}@debian12/salt3007.13{data}"
        for env in ("dev", "staging", "prod")
        for minion in ("web1", "db1")
        for data in ("", " data")
    ]


@pytest.fixture
def estate_copy(tmp_path) -> Path:
    """The reference estate's files, to change without touching the repository."""
    copy = tmp_path / "estate"
    for part in ("salt", "pillar", "tests/golden", "tests/secrets", "saltline.yml"):
        source = REPO / part
        if source.is_dir():
            shutil.copytree(source, copy / part)
        else:
            copy.mkdir(exist_ok=True)
            shutil.copy(source, copy / part)
    return copy


def test_a_data_change_is_a_diff_against_the_golden_file_until_accepted(estate_copy, tmp_path):
    common = estate_copy / "pillar" / "environments" / "staging" / "common.sls"
    common.write_text(common.read_text().replace("[alice, bob]", "[alice]"))
    changed = saltline(
        "render", "web1", "--default-cell", estate=estate_copy, reports=tmp_path / "r1"
    )
    assert changed.exit_code == 1
    assert "tests/golden/staging/web1.debian12.yaml: rendered data differs" in changed.output
    assert "-    - bob" in changed.output  # admins:present, in pillar and in the admins map
    assert "tests/golden/dev/web1.debian12.yaml" not in changed.output
    accepted = saltline(
        "render",
        "web1",
        "--default-cell",
        "--update-golden",
        estate=estate_copy,
        reports=tmp_path / "r2",
    )
    assert accepted.exit_code == 0, accepted.output
    again = saltline(
        "render", "web1", "--default-cell", estate=estate_copy, reports=tmp_path / "r3"
    )
    assert again.exit_code == 0, again.output


def test_a_secret_without_its_key_fails_the_render_naming_the_pillar_file(estate_copy, tmp_path):
    settings = estate_copy / "saltline.yml"
    text = settings.read_text()
    settings.write_text(text.replace("  gpg_key: tests/secrets/saltline-test.private.asc\n", ""))
    assert settings.read_text() != text
    run = saltline("render", "db1", "--default-cell", estate=estate_copy, reports=tmp_path)
    assert run.exit_code == 1
    assert (
        "pillar/environments/dev/shop.sls: a GPG-encrypted value could not be decrypted"
        in run.output
    )
    assert "BEGIN PGP MESSAGE" not in run.output


def test_lint_findings_name_file_line_and_rule(tmp_path: Path):
    estate = tmp_path / "estate"
    (estate / "salt").mkdir(parents=True)
    (estate / "pillar").mkdir()
    (estate / "saltline.yml").write_text((REPO / "tests/e2e/estate/saltline.yml").read_text())
    (estate / "salt" / "app.sls").write_text(
        "app:\n  file.managed:\n    - name: /x\n    - mode: 644\n"
    )
    (estate / "pillar" / "app.sls").write_text("a:\n  b: 1\n   c: 2\n")
    run = saltline("lint", estate=estate, reports=tmp_path / "reports")
    assert run.exit_code == 1
    assert "salt/app.sls:4: [salt-lint 207] File modes should always be encapsulated" in run.output
    assert "pillar/app.sls:3: [yamllint syntax]" in run.output


def test_a_template_that_waits_fails_the_render_within_its_timeout(tmp_path):
    """`{{ salt['cmd.run']('sleep 100000') }}` must not hang the run until CI kills it."""
    estate = tmp_path / "estate"
    (estate / "salt").mkdir(parents=True)
    (estate / "pillar").mkdir()
    (estate / "salt" / "top.sls").write_text("base:\n  '*':\n    - waits\n")
    (estate / "salt" / "waits.sls").write_text(
        "waits-file-managed:\n  file.managed:\n    - name: /tmp/x\n"
        "    - contents: {{ salt['cmd.run']('sleep 100000') }}\n"
    )
    (estate / "pillar" / "top.sls").write_text("dev: {}\n")
    (estate / "saltline.yml").write_text(
        'salt_version: "3007.13"\nplatforms: {debian12: {suite: bookworm}}\n'
        "environments: [dev]\nminions: {waiter: {roles: [w]}}\ntimeouts: {render: 5}\n"
    )
    run = saltline("render", estate=estate, reports=tmp_path / "reports", timeout=120)
    assert run.exit_code == 1, run.output
    failure = render_case(run, "dev/waiter@debian12/salt3007.13")["failure"]
    assert failure.startswith("salt/top.sls: rendering its highstate for waiter in dev")
    assert "did not finish within 5s (timeouts.render)" in failure
    assert leftovers(docker.from_env(), run.results["run_id"]) == []
