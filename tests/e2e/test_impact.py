"""`saltline diff` and the impact of `--changed` on a copy of the reference estate: what a
change does to each minion in each environment, prod included, secrets never shown.

The tests run in order on one repository, each committing one change and comparing it
with the commit before: each base is the commit the previous test rendered, so its
renders (and views) are reused from the render cache.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from saltline.adopt import config_writer
from tests.e2e.conftest import REPO, Run, saltline
from tests.e2e.fleet_estate import commit, git

CELL = "debian12/salt3007.13"
# Without tests/golden: the changes here change the golden data, not the subject
PARTS = ("salt", "pillar", "tests/infra", "tests/secrets", ".yamllint", ".salt-lint")


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    repo = tmp_path_factory.mktemp("impact") / "estate"
    for part in PARTS:
        source = REPO / part
        if source.is_dir():
            shutil.copytree(source, repo / part, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, repo / part)
    settings = yaml.safe_load((REPO / "saltline.yml").read_text())
    settings.pop("salt_versions", None)  # one cell: the default platform, the default Salt
    settings["platforms"] = dict(list(settings["platforms"].items())[:1])
    settings["lint"]["python"] = ["tests"]
    (repo / "saltline.yml").write_text(config_writer.dump(settings))
    (repo / ".gitignore").write_text("reports/\n.saltline/\n__pycache__/\n")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "user.email", "ops@example.test")
    git(repo, "config", "user.name", "Ops Team")
    commit(repo, "the estate")
    return repo


def diff(repo: Path, *args: str) -> tuple[Run, dict]:
    run = saltline("diff", *args, "--reports", str(repo / "reports"), estate=repo,
                   reports=repo / "reports")  # fmt: skip
    assert run.exit_code in (0, 3), run.output
    return run, run.results["impact"]


def key(environment: str, minion: str) -> str:
    return f"{environment}/{minion}@{CELL}"


def everything_written(repo: Path) -> str:
    reports = repo / "reports"
    return "\n".join(path.read_text() for path in sorted(reports.rglob("*")) if path.is_file())


def test_the_same_commit_rendered_twice_has_no_impact(repo):
    run, impact = diff(repo, "HEAD", "--exit-code")
    assert run.exit_code == 0
    assert impact["targets"] == {} and impact["unavailable"] == ""
    assert len(impact["unchanged"]) == 6  # web1 and db1 in dev, staging and prod
    assert "impact since" in run.output and ": 0 of 6 rendered targets change" in run.output
    summary = (repo / "reports" / "summary.md").read_text()
    assert "None: the 6 rendered targets render as before." in summary


def test_a_template_line_shows_on_the_minions_that_render_it_as_a_file_diff(repo):
    template = repo / "salt" / "nginx" / "files" / "index.html.jinja"
    template.write_text(template.read_text().replace("<body>", '<body class="shop">'))
    commit(repo, "the page's body has a class")
    run, impact = diff(repo, "HEAD~1", "--exit-code")
    assert run.exit_code == 3
    assert sorted(impact["targets"]) == [key(env, "web1") for env in ("dev", "prod", "staging")]
    page = impact["targets"][key("prod", "web1")]["files"]["/var/www/saltline/index.html"]
    assert '-<body>\n+<body class="shop">\n' in page
    summary = (repo / "reports" / "summary.md").read_text()
    assert f"| {key('prod', 'web1')} | 0 | 1 | 0 |" in summary
    assert f"<details><summary>{key('dev', 'web1')}: 0 states, 1 file, 0 pillar keys" in summary
    written = repo / "reports" / "impact" / f"prod_web1@{CELL.replace('/', '_')}.md"
    assert '+<body class="shop">' in written.read_text()


def encrypted(environment: str, secret: str) -> str:
    done = subprocess.run(
        ["bash", str(REPO / "tests" / "secrets" / "encrypt.sh"), environment, "8"],
        input=secret, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return done.stdout


def replace_secret(path: Path, text: str) -> None:
    """The shop password's ciphertext in `path` replaced with `text`'s (indented 8)."""
    lines = path.read_text().splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if "-----BEGIN PGP MESSAGE-----" in line)
    end = next(i for i, line in enumerate(lines) if "-----END PGP MESSAGE-----" in line)
    path.write_text("".join(lines[:start]) + text + "".join(lines[end + 1 :]))


def test_prod_pillar_and_secrets_show_as_keys_never_as_values(repo):
    """A prod message and a prod and a staging password changed: prod's impact shows
    the message, and each password as "encrypted value changed", on the minions that
    get them; neither password, nor any ciphertext, is written anywhere."""
    prod = repo / "pillar" / "environments" / "prod" / "shop.sls"
    prod.write_text(prod.read_text().replace("Hello from the prod environment", "Hello, prod"))
    secrets = {"prod": "prod-password-e2e-4711", "staging": "staging-password-e2e-0815"}
    for environment, secret in secrets.items():
        path = repo / "pillar" / "environments" / environment / "shop.sls"
        replace_secret(path, encrypted(environment, secret))
    commit(repo, "prod's message and two new passwords")
    run, impact = diff(repo, "HEAD~1")
    assert run.exit_code == 0
    targets = impact["targets"]
    assert sorted(targets) == sorted(key(env, m) for env in ("prod", "staging")
                                     for m in ("web1", "db1"))  # fmt: skip
    prod_pillar = targets[key("prod", "db1")]["pillar"]
    assert "changed nginx:site:message: " in "\n".join(prod_pillar)
    assert "changed postgres:users:shop:password: encrypted value changed" in prod_pillar
    staging_pillar = targets[key("staging", "db1")]["pillar"]
    assert staging_pillar == [  # one secret, used twice (a YAML alias)
        "changed postgres:users:shop:password: encrypted value changed",
        "changed webapp:database:password: encrypted value changed",
    ]
    shown = everything_written(repo) + run.output
    assert not any(secret in shown for secret in secrets.values())
    assert "BEGIN PGP MESSAGE" not in json.dumps(impact) and "hQ" not in shown


# States `test=True` misjudges: the command's `onlyif` is false before the flag file
# exists, so its prediction is "no change", and the onchanges state after it is not
# predicted either; applied, the flag is written first, and both run.
MARKER_SLS = """\
e2e-marker-file-managed:
  file.managed:
    - name: /etc/e2e-marker
    - contents: marked

e2e-cascade-cmd-run:
  cmd.run:
    - name: touch /etc/e2e-cascade-done
    - onlyif: test -f /etc/e2e-marker
    - creates: /etc/e2e-cascade-done

e2e-cascade-followed-cmd-run:
  cmd.run:
    - name: touch /etc/e2e-cascade-followed
    - onchanges:
      - cmd: e2e-cascade-cmd-run
"""


def test_states_a_top_file_change_adds_to_one_role_converge_only_its_minions(repo, tmp_path):
    """The top file affects every target by its files; the rendered impact names db1.
    With the prediction check, its converge names the cascade test=True missed."""
    (repo / "salt" / "e2e_marker.sls").write_text(MARKER_SLS)
    top = repo / "salt" / "top.sls"
    top.write_text(
        top.read_text().replace("    - roles.db\n", "    - roles.db\n    - e2e_marker\n")
    )
    commit(repo, "db servers get a marker")
    run = saltline("test", "--changed", "HEAD~1", "--environment", "dev", "--check-prediction",
                   estate=repo, reports=tmp_path / "reports")  # fmt: skip
    assert run.exit_code == 0, run.output
    results = run.results
    assert [t["minion"] for t in results["targets"]] == ["db1"]
    assert results["selected"] == {
        key("dev", "db1"): "rendered impact: 3 states, 0 files, 0 pillar keys"
    }
    assert results["not_run"] == {key("dev", "web1"): "not affected by the change (--changed)"}
    added = results["impact"]["targets"][key("prod", "db1")]["states_added"]
    assert [(s["id"], s["function"], s["where"]) for s in added] == [
        ("e2e-cascade-cmd-run", "cmd.run", "salt/e2e_marker.sls:6"),
        ("e2e-cascade-followed-cmd-run", "cmd.run", "salt/e2e_marker.sls:12"),
        ("e2e-marker-file-managed", "file.managed", "salt/e2e_marker.sls:1"),
    ]
    converge = results["targets"][0]["stages"][0]
    # (with the postgres user and database, whose module loads only once installed)
    unpredicted = converge["details"]["prediction"]["unpredicted"]
    assert {"e2e-cascade-cmd-run", "e2e-cascade-followed-cmd-run"} <= set(unpredicted)
    assert "e2e-marker-file-managed" in converge["details"]["prediction"]["held"]
    summary = (tmp_path / "reports" / "summary.md").read_text()
    assert "changed, not predicted: e2e-cascade-followed-cmd-run" in summary


def test_a_map_default_only_one_minion_uses_selects_only_it(repo, tmp_path):
    defaults = repo / "salt" / "postgres" / "parameters" / "defaults.yaml"
    defaults.write_text(defaults.read_text().replace("    port: 5432", "    port: 5433"))
    commit(repo, "postgres on another port")
    run = saltline("test", "--changed", "HEAD~1", "--only", "render,report", estate=repo,
                   reports=tmp_path / "reports")  # fmt: skip
    assert run.exit_code == 0, run.output
    results = run.results
    assert sorted(results["selected"]) == [key("dev", "db1"), key("staging", "db1")]
    assert all(why.startswith("rendered impact: ") for why in results["selected"].values())
    assert sorted(results["impact"]["targets"]) == [
        key(env, "db1") for env in ("dev", "prod", "staging")
    ]
