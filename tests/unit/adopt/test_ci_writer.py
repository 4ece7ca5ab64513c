"""`saltline init --ci`: the CI definitions written for an adopted repository are valid,
install a pinned saltline, and follow this repository's own trust rules."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from saltline.adopt import ci_writer
from saltline.cli import main
from saltline.errors import ConfigError

BIN = Path(sys.executable).parent


@pytest.mark.parametrize(("kind", "schema"), [("gitlab", "vendor.gitlab-ci"),
                                              ("github", "vendor.github-workflows")])  # fmt: skip
def test_each_definition_validates_and_installs_the_pinned_saltline(tmp_path, kind, schema):
    path = ci_writer.write(tmp_path, kind, "saltline==9.9.9", "9.9.9")
    done = subprocess.run([str(BIN / "check-jsonschema"), "--builtin-schema", schema, str(path)],
                          capture_output=True, text=True, check=False)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    text = path.read_text()
    assert '"saltline==9.9.9"' in text and "written by saltline 9.9.9 with" in text
    assert "@PACKAGE@" not in text and "@VERSION@" not in text


@pytest.mark.parametrize("kind", sorted(ci_writer.CI_FILES))
def test_what_init_writes_passes_yamllint_s_strict_defaults(tmp_path, kind):
    """The adopted repository's own yamllint lints it (saltline lint does): the public
    formulas extend yamllint's defaults (80 columns, a document start, no empty value)."""
    from yamllint import linter
    from yamllint.config import YamlLintConfig

    text = ci_writer.render(kind, "saltline==0.1.0", "0.1.0")
    problems = list(linter.run(text, YamlLintConfig("extends: default")))
    assert [str(problem) for problem in problems] == []


def test_merge_requests_test_what_changed_and_get_no_secret():
    gitlab = yaml.safe_load(ci_writer.render("gitlab", "saltline==1", "1"))
    assert gitlab["test"]["script"] == ["saltline test --default-cell --changed"]
    assert gitlab["test"]["rules"] == [{"if": '$CI_PIPELINE_SOURCE == "merge_request_event"'}]
    assert gitlab["matrix"]["tags"] == ["saltline-protected"]  # signs: protected runner only
    assert gitlab["test"]["cache"]["key"] != gitlab["matrix"]["cache"]["key"]
    github = yaml.safe_load(ci_writer.render("github", "saltline==1", "1"))
    test = github["jobs"]["test"]
    assert "environment" not in test and "secrets" not in str(test)
    assert github["jobs"]["matrix"]["environment"] == "signing"
    assert github["permissions"] == {"contents": "read"}


def test_zizmor_finds_nothing_in_the_github_workflow(tmp_path):
    path = ci_writer.write(tmp_path, "github", "saltline==1", "1")
    done = subprocess.run([str(BIN / "zizmor"), "--offline", str(path)], capture_output=True,
                          text=True, check=False)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr


def test_an_existing_definition_is_kept_without_force(tmp_path):
    (tmp_path / ".gitlab-ci.yml").write_text("theirs: {script: [true]}\n")
    with pytest.raises(ConfigError, match=r"\.gitlab-ci\.yml exists; `saltline init --ci gitlab "):
        ci_writer.write(tmp_path, "gitlab", "saltline==1", "1")
    assert ci_writer.write(tmp_path, "gitlab", "saltline==1", "1", force=True).exists()


def test_init_ci_on_a_repository_adopted_before_writes_only_the_ci_file(tmp_path, monkeypatch):
    (tmp_path / "saltline.yml").write_text("# mine\n")
    monkeypatch.chdir(tmp_path)
    assert main(["init", "--ci", "github", "--ci-package", "git+https://x/saltline@v1"]) == 0
    assert (tmp_path / "saltline.yml").read_text() == "# mine\n"
    workflow = (tmp_path / ".github" / "workflows" / "saltline.yml").read_text()
    assert 'SALTLINE_PACKAGE: "git+https://x/saltline@v1"' in workflow
