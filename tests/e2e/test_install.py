"""saltline installed as another team would: a wheel built from this repository,
`pipx install`ed into a fresh environment outside it, then `saltline init --ci gitlab`
and `saltline test` in a formula repository nobody here wrote (the public
template-formula where its bundle is present, else the motd fixture formula)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.e2e.conftest import REPO
from tests.e2e.test_adoption import BUNDLES, CHECKS, MOTD, clone, git, repository


def run(*command: str | Path, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(part) for part in command], cwd=cwd, env=env, text=True,
                          capture_output=True, check=False)  # fmt: skip


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """saltline's wheel, built from this checkout as a release would be."""
    dist = tmp_path_factory.mktemp("dist")
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
                            "-w", str(dist), str(REPO)], capture_output=True, text=True,
                           check=False)  # fmt: skip
    assert built.returncode == 0, built.stderr
    [found] = dist.glob("saltline-*.whl")
    return found


def outside(home: Path) -> dict[str, str]:
    """An environment with nothing of this checkout: only what the wheel carries."""
    env = {**os.environ, "PATH": f"{home / 'bin'}:/usr/local/bin:/usr/bin:/bin"}
    env.pop("PYTHONPATH", None)
    env.pop("VIRTUAL_ENV", None)
    return env


def test_a_pipx_installed_saltline_adopts_a_formula_repository_and_tests_it(wheel, tmp_path):
    home = tmp_path / "pipx"
    env = {**outside(home), "PIPX_HOME": str(home), "PIPX_BIN_DIR": str(home / "bin")}
    pipx = Path(sys.executable).parent / "pipx"
    installed = run(pipx, "install", "--python", sys.executable, wheel, cwd=tmp_path, env=env)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    saltline = home / "bin" / "saltline"
    version = run(saltline, "--version", cwd=tmp_path, env=env)
    assert f"from {home / 'venvs' / 'saltline'}" in version.stdout, version.stdout

    if BUNDLES.is_dir():
        repo = clone("template-formula", tmp_path / "template-formula")
        (repo / "tests").mkdir(exist_ok=True)
        shutil.copy(CHECKS / "template_checks.py", repo / "tests" / "test_template.py")
    else:
        repo = repository(MOTD, tmp_path / "motd-formula")
    theirs = repo / ".gitlab-ci.yml"  # the public formulas have a pipeline of their own
    if theirs.exists():
        kept = theirs.read_text()
        refused = run(saltline, "init", "--ci", "gitlab", cwd=repo, env=env)
        assert refused.returncode == 2, refused.stdout + refused.stderr
        assert f"{theirs} exists; `saltline init --ci gitlab --force`" in refused.stderr
        assert theirs.read_text() == kept and not (repo / "saltline.yml").exists()
        init = run(saltline, "init", "--ci", "github", cwd=repo, env=env)
        assert init.returncode == 0, init.stdout + init.stderr
        workflow = yaml.safe_load((repo / ".github/workflows/saltline.yml").read_text())
        assert workflow["env"]["SALTLINE_PACKAGE"].startswith("saltline==")
    else:
        init = run(saltline, "init", "--ci", "gitlab", cwd=repo, env=env)
        assert init.returncode == 0, init.stdout + init.stderr
        ci = yaml.safe_load(theirs.read_text())
        assert ci["variables"]["SALTLINE_PACKAGE"].startswith("saltline==")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "saltline init --ci")
    tested = run(saltline, "test", cwd=repo, env=env)
    assert tested.returncode == 0, tested.stdout[-3000:] + tested.stderr[-2000:]
    assert "] verify PASS" in tested.stdout, tested.stdout[-3000:]


GITLAB_CI_LOCAL = REPO / ".venv" / "gitlab-ci-local" / "node_modules" / ".bin" / "gitlab-ci-local"


def test_what_init_ci_gitlab_writes_runs_green_under_a_gitlab_runner_emulation(wheel, tmp_path):
    """gitlab-ci-local (npm; `make test` installs it beside the virtualenv) runs the
    merge-request pipeline `init --ci gitlab` wrote, shell executor, on a scratch
    adopted repository: lint, then `saltline test --default-cell --changed`."""
    if not GITLAB_CI_LOCAL.is_file():
        pytest.skip(
            f"gitlab-ci-local is not installed at {GITLAB_CI_LOCAL} (make test installs it)"
        )
    repo = repository(MOTD, tmp_path / "motd-formula")
    env = outside(tmp_path)
    init = run(sys.executable, "-m", "saltline.cli", "init", "--ci", "gitlab", "--ci-package",
               wheel, cwd=repo, env={**os.environ})  # fmt: skip
    assert init.returncode == 0, init.stdout + init.stderr
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "saltline init --ci gitlab")
    base = git(repo, "rev-parse", "HEAD")
    git(repo, "checkout", "-q", "-b", "a-merge-request")  # not the default branch
    sls = repo / "motd" / "config.sls"
    sls.write_text(sls.read_text() + "# a comment is a change too\n")
    git(repo, "commit", "-q", "-am", "a change for the merge request")
    pipeline = run(GITLAB_CI_LOCAL, "--variable", "CI_PIPELINE_SOURCE=merge_request_event",
                   "--variable", f"CI_MERGE_REQUEST_DIFF_BASE_SHA={base}",
                   "--variable", f"SALTLINE_CACHE={tmp_path / 'cache'}",
                   "lint", "test", cwd=repo, env=env)  # fmt: skip
    output = pipeline.stdout + pipeline.stderr
    assert pipeline.returncode == 0, output[-4000:]
    assert "lint" in output and "test" in output and "matrix >" not in output
    junit = repo / ".gitlab-ci-local" / "artifacts" / "test" / "reports" / "junit.xml"
    assert junit.is_file() or "PASS" in output
