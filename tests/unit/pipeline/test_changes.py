"""`--changed`: which targets a changed file affects, and which base a change has."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from saltline.errors import SaltlineError
from saltline.pipeline import changes
from saltline.pipeline.selection import Rules, Used, affected

FACTS = {
    "dev/web1@debian12/salt3007.13": Used({"roles.web", "nginx.config", "nginx.package"},
                              {"nginx/files/site.conf.jinja"}, {"shop", "environments.dev.tls"}),
    "dev/db1@debian12/salt3007.13": Used({"roles.db", "postgres.config"}, set(), {"shop"}),
}  # fmt: skip
ROLES = {
    "dev/web1@debian12/salt3007.13": ("common", "web"),
    "dev/db1@debian12/salt3007.13": ("common", "db"),
}
RULES = Rules(["salt"], ["pillar"], "tests/infra", ["saltline.yml", "saltline.lock"])
WEB, DB = "dev/web1@debian12/salt3007.13", "dev/db1@debian12/salt3007.13"


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("salt/nginx/config/init.sls", [WEB]),  # an SLS: who has states from it
        ("salt/nginx/files/site.conf.jinja", [WEB]),  # a salt:// source: who serves it
        ("salt/nginx/map.jinja", [WEB]),  # a component's other file: who uses the component
        ("salt/postgres/parameters/defaults.yaml", [DB]),
        ("tests/infra/test_db.py", [DB]),  # a role's suite
        ("tests/infra/test_common.py", [WEB, DB]),
        ("tests/infra/conftest.py", [WEB, DB]),  # every suite may use it
        ("salt/top.sls", [WEB, DB]),
        ("saltline.lock", [WEB, DB]),
        ("salt/_modules/shop.py", [WEB, DB]),
        ("pillar/environments/dev/tls.sls", [WEB]),  # a pillar SLS: whose pillar top has it
        ("pillar/shop.sls", [WEB, DB]),
        ("pillar/included_only.sls", [WEB, DB]),  # only included: cannot attribute
        ("salt/newcomponent/init.sls", [WEB, DB]),  # nobody uses it yet: cannot attribute
        ("README.md", []),
        ("src/saltline/config.py", []),
    ],
)
def test_a_changed_file_affects_the_targets_that_use_it(path, expected):
    assert sorted(affected([path], FACTS, ROLES, RULES)) == sorted(expected)


def test_configured_suites_select_by_role_or_every_minion():
    rules = Rules(["salt"], [], "tests/infra", [], suites={"*": ("checks/all.py",),
                                                          "db": ("checks/db.py",)})  # fmt: skip
    assert list(affected(["checks/db.py"], FACTS, ROLES, rules)) == [DB]
    assert len(affected(["checks/all.py"], FACTS, ROLES, rules)) == 2


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t.invalid", *args],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return done.stdout.strip()


def test_changed_files_are_those_since_the_merge_base_plus_uncommitted_and_new(
    tmp_path, monkeypatch
):
    monkeypatch.delenv("CI_MERGE_REQUEST_DIFF_BASE_SHA", raising=False)
    monkeypatch.delenv("GITHUB_BASE_REF", raising=False)
    (tmp_path / "a.sls").write_text("a\n")
    git(tmp_path, "init", "-q", "-b", "main")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-qm", "one")
    git(tmp_path, "checkout", "-qb", "feature")
    (tmp_path / "b.sls").write_text("b\n")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-qm", "two")
    (tmp_path / "a.sls").write_text("changed\n")
    (tmp_path / "c.sls").write_text("new\n")
    base = changes.base_of(tmp_path, None)  # the default branch, main
    assert base == git(tmp_path, "rev-parse", "main")
    assert changes.changed_files(tmp_path, base) == ["a.sls", "b.sls", "c.sls"]
    monkeypatch.setenv("CI_MERGE_REQUEST_DIFF_BASE_SHA", "deadbeef")
    with pytest.raises(SaltlineError, match="base 'deadbeef' does not name a commit here"):
        changes.base_of(tmp_path, None)


def test_a_shallow_clone_without_the_base_says_to_fetch_history(tmp_path):
    origin = tmp_path / "origin"
    origin.mkdir()
    git(origin, "init", "-q", "-b", "main")
    for n in range(3):
        (origin / "f.sls").write_text(str(n))
        git(origin, "add", "-A")
        git(origin, "commit", "-qm", str(n))
    old = git(origin, "rev-parse", "HEAD~2")
    subprocess.run(["git", "clone", "-q", "--depth", "1", f"file://{origin}",
                    str(tmp_path / "clone")], check=True)  # fmt: skip
    with pytest.raises(SaltlineError, match="shallow clone: fetch more history"):
        changes.base_of(tmp_path / "clone", old)
