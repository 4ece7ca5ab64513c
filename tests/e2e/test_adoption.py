"""Salt code saltline did not write: `init` in a formula repository, formulas as pinned
dependencies, saltcheck next to testinfra.

The small formula in tests/fixtures/motd-formula always runs. The public formulas in
`../shared/formulas/` (git bundles; see README "Compatibility") run where they exist,
and are skipped with the reason where they do not: a newcomer's clone has no `../shared`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from saltline.adopt import config_writer
from tests.e2e.conftest import REPO, Run, saltline

MOTD = REPO / "tests" / "fixtures" / "motd-formula"
CHECKS = Path(__file__).parent / "adopted"
BUNDLES = Path(os.environ.get("SALTLINE_FORMULA_BUNDLES", REPO.parent / "shared" / "formulas"))
PUBLIC = {  # formula → the tag an estate pins
    "template-formula": "v5.1.2",
    "users-formula": "v0.48.8",
    "logrotate-formula": "v0.14.2",
}
needs_bundles = pytest.mark.skipif(
    not BUNDLES.is_dir(),
    reason=f"the public formulas' bundles are not here ({BUNDLES}); CI has them",
)


def git(directory: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(directory), "-c", "user.name=saltline-e2e",
         "-c", "user.email=e2e@saltline.invalid", *args],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return done.stdout.strip()


def repository(source: Path, target: Path, tag: str | None = None) -> Path:
    """`source` copied into a git repository of its own, committed (and tagged)."""
    shutil.copytree(source, target)
    git(target, "init", "-q", "-b", "main")
    git(target, "add", "-A")
    git(target, "commit", "-q", "-m", "initial")
    if tag:
        git(target, "tag", tag)
    return target


def clone(bundle: str, target: Path) -> Path:
    subprocess.run(
        ["git", "clone", "-q", str(BUNDLES / f"{bundle}.bundle"), str(target)], check=True
    )
    return target


def cases(run: Run, key: str) -> dict[str, str | None]:
    return {case["name"]: case["failure"] for case in run.stage(key, "verify")["cases"]}


def test_init_adopts_a_formula_repository_and_its_tests_run(tmp_path):
    repo = repository(MOTD, tmp_path / "motd-formula")
    init = saltline("init", estate=repo, reports=repo / "reports")
    assert init.exit_code == 0, init.output
    assert "a formula repository: motd/init.sls" in init.output
    assert "testinfra tests for every minion: tests/test_motd.py" in init.output
    assert saltline("init", estate=repo, reports=repo / "reports").exit_code == 2  # no --force
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "saltline init")

    run = saltline("test", estate=repo, reports=repo / "reports")
    assert run.exit_code == 0, run.output
    assert cases(run, "base/motd@debian12/salt3007.13") == {
        "test_motd::test_motd_shows_the_pillar_message_and_the_minion": None,
        "test_motd::test_the_drop_in_directory_exists": None,
        "motd::motd-file-exists": None,
        "motd::motd-file-mode": None,
        "motd::motd-directory-exists": None,
    }
    # reports/ sits in the tree, yet the tree is clean: the pass is recorded
    assert "recorded a pass for" in run.output, run.output


def test_a_failing_saltcheck_names_the_test_the_assertion_and_both_values(tmp_path):
    repo = repository(MOTD, tmp_path / "motd-formula")
    tst = repo / "motd" / "saltcheck-tests" / "config.tst"
    tst.write_text(tst.read_text().replace('expected_return: "0644"', 'expected_return: "0600"'))
    assert saltline("init", estate=repo, reports=repo / "reports").exit_code == 0
    run = saltline("test", "--skip", "idempotence", estate=repo, reports=repo / "reports")
    assert run.exit_code == 1
    failure = cases(run, "base/motd@debian12/salt3007.13")["motd::motd-file-mode"]
    assert failure is not None
    assert failure.splitlines() == [
        "Fail: 0600 is not equal to 0644",
        'module.function [args]: file.get_mode ["/etc/motd"]',
        "saltcheck assertion: 0600 == 0644",
    ]


ESTATE_TOP = """\
base:
  '*':
    - site
    - motd
"""
SITE_SLS = """\
site-issue-file-managed:
  file.managed:
    - name: /etc/issue.net
    - contents: site
"""


def estate_pinning(tmp_path: Path, formulas: dict[str, dict[str, str]]) -> Path:
    """A small estate whose top applies its own `site` state and the motd formula."""
    estate = tmp_path / "estate"
    (estate / "salt").mkdir(parents=True)
    (estate / "pillar").mkdir()
    (estate / "salt" / "top.sls").write_text(ESTATE_TOP)
    (estate / "salt" / "site.sls").write_text(SITE_SLS)
    (estate / "pillar" / "top.sls").write_text("base:\n  '*':\n    - motd\n")
    (estate / "pillar" / "motd.sls").write_text("motd:\n  message: Authorised use only\n")
    (estate / "tests").mkdir()
    shutil.copy(MOTD / "tests" / "test_motd.py", estate / "tests" / "test_motd.py")
    settings = {
        "salt_version": "3007.13",
        "platforms": {"debian12": {"suite": "bookworm"}},
        "environments": {"base": {"test": True}},
        "minions": {"app1": {}},
        "formulas": formulas,
        "tests": {"suites": {"*": ["tests/test_motd.py"]}},
    }
    (estate / "saltline.yml").write_text("---\n" + config_writer.dump(settings))
    return estate


@pytest.mark.usefixtures("own_formula_cache")
def test_an_estate_pins_a_formula_tests_it_and_works_offline_from_the_cache(tmp_path):
    formula = repository(MOTD, tmp_path / "motd-formula", tag="v1.0.0")
    pinned = git(formula, "rev-parse", "HEAD")
    (formula / "motd" / "files" / "motd.jinja").write_text("{{ message }} (v1.1)\n")
    git(formula, "commit", "-q", "-am", "v1.1")
    estate = estate_pinning(tmp_path, {"motd": {"git": f"file://{formula}", "ref": "v1.0.0"}})

    run = saltline("test", estate=estate, reports=tmp_path / "reports")
    assert run.exit_code == 0, run.output
    lock = yaml.safe_load((estate / "saltline.lock").read_text())
    assert lock["formulas"]["motd"]["commit"] == pinned  # the tag, not the newer HEAD
    assert "motd::motd-file-mode" in cases(
        run, "base/app1@debian12/salt3007.13"
    )  # the formula's saltcheck

    shutil.rmtree(formula)  # offline: the source is gone, the cache and the lock remain
    rendered = saltline("render", estate=estate, reports=tmp_path / "offline")
    assert rendered.exit_code == 0, rendered.output


@pytest.mark.usefixtures("own_formula_cache")
def test_a_formula_declaring_an_estate_state_id_is_a_render_error_naming_both_files(tmp_path):
    formula = repository(MOTD, tmp_path / "motd-formula", tag="v1.0.0")
    estate = estate_pinning(tmp_path, {"motd": {"git": f"file://{formula}", "ref": "v1.0.0"}})
    site = estate / "salt" / "site.sls"
    site.write_text(SITE_SLS + "\nmotd-config-directory-managed:\n  file.directory:\n"
                    "    - name: /etc/motd.d\n")  # fmt: skip
    run = saltline("test", estate=estate, reports=tmp_path / "reports")
    assert run.exit_code == 1
    assert run.results["targets"] == []  # found at render: no minion started
    assert (
        "salt/site.sls:6: (state motd-config-directory-managed) state ID "
        "'motd-config-directory-managed' is also declared in formula motd: motd/config.sls:3"
    ) in run.output, run.output


# The public formulas, each adopted as its own repository: `init`, then `test`.
# users-formula's own test pillar gives ssh_known_hosts a placeholder key ("PUBLICKEY")
# with hash_known_hosts, so that state changes on every run (README: Compatibility).
KNOWN_NOT_IDEMPOTENT = {"users-formula": ["users_ssh_known_hosts_buser_0"]}


@needs_bundles
@pytest.mark.parametrize("name", sorted(PUBLIC))
def test_a_public_formula_adopted_as_a_repository_converges_and_verifies(tmp_path, name):
    repo = clone(name, tmp_path / name)
    formula = name.removesuffix("-formula")
    (repo / "tests").mkdir(exist_ok=True)
    shutil.copy(CHECKS / f"{formula}_checks.py", repo / "tests" / f"test_{formula}.py")
    init = saltline("init", estate=repo, reports=repo / "reports")
    assert init.exit_code == 0, init.output

    run = saltline("test", estate=repo, reports=repo / "reports")
    [target] = run.results["targets"]
    key = f"base/{target['minion']}@debian12/salt3007.13"
    stages = {s["stage"]: s for s in target["stages"]}
    assert stages["converge"]["status"] == "passed", stages["converge"]["message"]
    assert stages["verify"]["status"] == "passed", stages["verify"]["message"]
    assert not any(failure for failure in cases(run, key).values())
    changed = [c["name"] for c in stages["idempotence"]["cases"] if c["failure"]]
    expected = KNOWN_NOT_IDEMPOTENT.get(name, [])
    assert [name for name in changed if not any(e in name for e in expected)] == []
    assert run.exit_code == (1 if expected else 0), run.output


USERS_PILLAR = """\
users:
  deploy:
    fullname: Deploy
    home: /home/deploy
    shell: /bin/bash
    uid: 2001
    sudouser: true
    sudo_rules:
      - "ALL=(ALL) NOPASSWD: /usr/bin/systemctl"
"""
PUBLIC_ESTATE_CHECKS = '''\
"""The estate's own checks of the formulas it pins."""


def test_deploy_user(host):
    user = host.user("deploy")
    assert (user.uid, user.home, user.shell) == (2001, "/home/deploy", "/bin/bash")
    assert host.file("/etc/sudoers.d/deploy").contains("NOPASSWD: /usr/bin/systemctl")


def test_template_config(host):
    assert host.file("/etc/template-formula.conf").contains("winner of the merge")


def test_logrotate_job(host):
    assert "/var/log/app/*.log" in host.file("/etc/logrotate.d/app").content_string
'''


@needs_bundles
@pytest.mark.usefixtures("own_formula_cache")
def test_an_estate_pins_the_public_formulas_at_their_tags(tmp_path):
    sources = {name: clone(name, tmp_path / "sources" / name) for name in PUBLIC}
    estate = tmp_path / "estate"
    (estate / "salt").mkdir(parents=True)
    (estate / "pillar").mkdir()
    (estate / "tests").mkdir()
    (estate / "salt" / "top.sls").write_text(
        "base:\n  '*':\n    - users\n    - TEMPLATE\n    - logrotate\n"
    )
    (estate / "pillar" / "top.sls").write_text(
        "base:\n  '*':\n    - users\n    - template\n    - logrotate\n"
    )
    template_pillar = sources["template-formula"] / "test" / "salt" / "pillar" / "default.sls"
    shutil.copy(template_pillar, estate / "pillar" / "template.sls")  # its package and lookup
    (estate / "pillar" / "users.sls").write_text(USERS_PILLAR)
    (estate / "pillar" / "logrotate.sls").write_text(
        "logrotate:\n  jobs:\n    app:\n      path: [/var/log/app/*.log]\n"
        "      config: [daily, rotate 7, missingok]\n"
    )
    (estate / "tests" / "test_formulas.py").write_text(PUBLIC_ESTATE_CHECKS)
    settings = {
        "salt_version": "3007.13",
        "platforms": {"debian12": {"suite": "bookworm"}},
        "environments": {"base": {"test": True}},
        "minions": {"app1": {}},
        "formulas": {
            name.removesuffix("-formula"): {"git": f"file://{sources[name]}", "ref": tag}
            for name, tag in PUBLIC.items()
        },
        "tests": {"suites": {"*": ["tests/test_formulas.py"]}},
    }
    (estate / "saltline.yml").write_text("---\n" + config_writer.dump(settings))
    run = saltline("test", estate=estate, reports=tmp_path / "reports")
    assert run.exit_code == 0, run.output
    lock = yaml.safe_load((estate / "saltline.lock").read_text())["formulas"]
    for name, tag in PUBLIC.items():
        commit = git(sources[name], "rev-parse", f"{tag}^{{commit}}")
        assert lock[name.removesuffix("-formula")]["commit"] == commit
