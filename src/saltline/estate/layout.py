"""Where the estate's Salt code is: its state and pillar roots, its formulas, generated tops.

A repository says its roots in `saltline.yml` (`roots.states`, `roots.pillar`, in
file_roots order); the formulas it depends on follow its own state roots; top files and
pillar SLS that a formula repository does not have (`top`, `pillar_files`) are written
by saltline into a directory of their own, first in order. Salt serves a path from the
first root that has it, and so does everything here.

    layout = resolve(config)
    layout.states[0].mount   # "/srv/salt/0", where containers see the first state root
"""

from __future__ import annotations

import hashlib
import re
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml

from saltline.cache import cache_dir
from saltline.config import Config
from saltline.errors import ConfigError
from saltline.estate import exports, formulas, git

STATES_MOUNT = "/srv/salt"
PILLAR_MOUNT = "/srv/pillar"
GENERATED = "saltline.yml (top, pillar_files)"


@dataclass(frozen=True)
class Root:
    """One directory of file_roots or pillar_roots."""

    host: Path  # on this machine
    mount: str  # where containers see it
    shown: str  # how messages name it: "salt", "formula users", or GENERATED
    own: bool  # the repository's own code: linted, and what golden data covers


@dataclass(frozen=True)
class Layout:
    states: tuple[Root, ...]
    pillar: tuple[Root, ...]
    pillarenvs: dict[str, str | None]  # environment → the pillarenv its minions use
    formula_commits: dict[str, str]  # name → pinned commit

    def own_states(self) -> list[Root]:
        return [root for root in self.states if root.own]

    def own_pillar(self) -> list[Root]:
        return [root for root in self.pillar if root.own]

    def find(self, relative: str, pillar: bool = False) -> Path | None:
        """The file Salt would serve for a path relative to the roots, if any."""
        for root in self.pillar if pillar else self.states:
            candidate = root.host / relative
            if candidate.exists():
                return candidate
        return None

    def in_container(self, path: str) -> Path | None:
        """The host file behind a path Salt names inside a container."""
        for root in (*self.states, *self.pillar):
            if path == root.mount or path.startswith(root.mount + "/"):
                return root.host / path[len(root.mount) :].lstrip("/")
        return None


def resolve(
    config: Config, log: Callable[[str], None] | None = None, commit: str | None = None
) -> Layout:
    """The roots, with formulas fetched (or taken from the cache) at their pinned commits.
    With `commit`, the repository's own roots and generated files are that commit's
    (`exports`: what a release of it ships), not the working tree's."""
    pins = formulas.locked(config, log)
    checkouts = formulas.checkouts(config, pins)
    if commit is None:
        generated = _generated(config, lambda relative: (config.root / relative).read_text())
    else:
        generated = _generated(config, lambda relative: git.show(config.root, commit, relative))
    states: list[tuple[Path, str, bool]] = []
    pillar: list[tuple[Path, str, bool]] = []
    if generated is not None:
        states.append((generated / "states", GENERATED, False))
        pillar.append((generated / "pillar", GENERATED, False))
    for name in config.state_roots:
        if not (config.root / name).is_dir():
            raise ConfigError(
                f"{config.path}: no state root {name}/ under {config.root}; say where the "
                "states are with `roots.states` (`saltline init` finds them)"
            )

    def own(name: str) -> Path:
        return config.root / name if commit is None else exports.export(config.root, commit, name)

    states += [(own(name), name, True) for name in config.state_roots]
    pillar += [(own(name), name, True) for name in config.pillar_roots]
    states += [(checkouts[name], f"formula {name}", False) for name in config.formulas]
    if config.state_top is not None:
        _refuse_second_top(config, "states", config.state_roots)
    if config.pillar_top is not None:
        _refuse_second_top(config, "pillar", config.pillar_roots)
    layout = Layout(
        states=tuple(
            Root(path.resolve(), f"{STATES_MOUNT}/{i}", shown, own)
            for i, (path, shown, own) in enumerate(states)
        ),
        pillar=tuple(
            Root(path.resolve(), f"{PILLAR_MOUNT}/{i}", shown, own)
            for i, (path, shown, own) in enumerate(pillar)
        ),
        pillarenvs={},
        formula_commits={name: pin.commit for name, pin in pins.items()},
    )
    sections = pillar_top_sections(layout)
    pillarenvs = {
        env: config.pillarenvs.get(env, env if env in sections else None)
        for env in config.environments
    }
    return Layout(layout.states, layout.pillar, pillarenvs, layout.formula_commits)


def pillar_top_sections(layout: Layout) -> set[str]:
    """The environments the pillar top file has sections for (`base`, `dev`, …)."""
    top = layout.find("top.sls", pillar=True)
    if top is None:
        return set()
    return set(re.findall(r"^([A-Za-z0-9_.-]+)\s*:", top.read_text(errors="replace"), re.M))


def _refuse_second_top(config: Config, kind: str, roots: tuple[str, ...]) -> None:
    for name in roots:
        if (config.root / name / "top.sls").is_file():
            raise ConfigError(
                f"{config.path}: top.{kind}: the repository has its own top file "
                f"({name}/top.sls); remove `top.{kind}` from saltline.yml or that file"
            )


def generated_files(config: Config, read: Callable[[str], str]) -> dict[str, str]:
    """The top files and pillar SLS `saltline.yml` asks for, by path under `states/` and
    `pillar/`; `read` gives a repository file's text (from the tree, or from a commit)."""
    files: dict[str, str] = {}
    if config.state_top is not None:
        files["states/top.sls"] = yaml.safe_dump(config.state_top, sort_keys=False)
    if config.pillar_top is not None:
        files["pillar/top.sls"] = yaml.safe_dump(config.pillar_top, sort_keys=False)
    for name, source in config.pillar_files.items():
        files[f"pillar/{name.replace('.', '/')}.sls"] = read(source)
    return files


def _generated(config: Config, read: Callable[[str], str]) -> Path | None:
    """The generated files, written once per content under the cache."""
    files = generated_files(config, read)
    if not files:
        return None
    digest = hashlib.sha256(yaml.safe_dump(files).encode()).hexdigest()[:16]
    target = cache_dir() / "generated" / digest
    if target.is_dir():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{digest}-", dir=target.parent))
    for relative, text in files.items():
        path = staging / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    (staging / "states").mkdir(exist_ok=True)
    (staging / "pillar").mkdir(exist_ok=True)
    try:
        staging.rename(target)
    except OSError:  # another run wrote it first
        shutil.rmtree(staging, ignore_errors=True)
    return target
