"""CI definitions for an adopted repository (`saltline init --ci gitlab|github`): lint,
the merge request's run with `--changed`, every cell on the default branch, reports,
under the same trust rules as saltline's own (no secret reaches a merge request's job;
passes are signed only on protected branches). Each installs a pinned saltline."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from saltline.errors import ConfigError

# kind → (where it goes in the repository, the template shipped in saltline/data)
CI_FILES = {
    "gitlab": (".gitlab-ci.yml", "adopted-gitlab-ci.yml"),
    "github": (".github/workflows/saltline.yml", "adopted-github-workflow.yml"),
}


def render(kind: str, package: str, version: str) -> str:
    """The definition, installing `package` (a pip requirement: `saltline==0.1.0`, a
    wheel's URL, `git+https://…@v0.1.0`)."""
    template = resources.files("saltline.data").joinpath(CI_FILES[kind][1]).read_text()
    return template.replace("@PACKAGE@", package).replace("@VERSION@", f"saltline {version}")


def write(root: Path, kind: str, package: str, version: str, force: bool = False) -> Path:
    """Write the definition into the repository at `root`; an existing one is kept
    unless `force`."""
    path = root / CI_FILES[kind][0]
    if path.exists() and not force:
        raise ConfigError(
            f"{path} exists; `saltline init --ci {kind} --force` overwrites it (or merge "
            f"its jobs by hand: `saltline init --ci {kind}` in an empty directory shows them)"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(kind, package, version))
    return path
