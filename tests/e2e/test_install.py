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

import yaml

from tests.e2e.conftest import REPO
from tests.e2e.test_adoption import BUNDLES, CHECKS, MOTD, clone, git, repository


def run(*command: str | Path, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(part) for part in command], cwd=cwd, env=env, text=True,
                          capture_output=True, check=False)  # fmt: skip


def test_a_pipx_installed_saltline_adopts_a_formula_repository_and_tests_it(tmp_path):
    dist = tmp_path / "dist"
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
                            "-w", str(dist), str(REPO)], capture_output=True, text=True,
                           check=False)  # fmt: skip
    assert built.returncode == 0, built.stderr
    [wheel] = dist.glob("saltline-*.whl")
    home = tmp_path / "pipx"
    env = {**os.environ, "PIPX_HOME": str(home), "PIPX_BIN_DIR": str(home / "bin"),
           "PATH": f"{home / 'bin'}:/usr/local/bin:/usr/bin:/bin"}  # fmt: skip
    env.pop("PYTHONPATH", None)  # nothing of this checkout: only what the wheel carries
    env.pop("VIRTUAL_ENV", None)
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
    init = run(saltline, "init", "--ci", "gitlab", cwd=repo, env=env)
    assert init.returncode == 0, init.stdout + init.stderr
    ci = yaml.safe_load((repo / ".gitlab-ci.yml").read_text())
    assert ci["variables"]["SALTLINE_PACKAGE"].startswith("saltline==")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "saltline init --ci gitlab")
    tested = run(saltline, "test", cwd=repo, env=env)
    assert tested.returncode == 0, tested.stdout[-3000:] + tested.stderr[-2000:]
    assert "] verify PASS" in tested.stdout, tested.stdout[-3000:]
