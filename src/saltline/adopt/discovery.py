"""What `saltline init` finds in an existing Salt repository, and what it guesses.

It reads, never writes: state and pillar roots (a checked-in master config's
`file_roots`/`pillar_roots`, the usual directories, or a single formula with its test
pillar and `kitchen.yml`), the top files and a representative minion per target, the
pillar environments, the lint configurations, testinfra and saltcheck tests.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from saltline.adopt.top_targets import Representative, representative

STATE_DIRS = ("salt", "srv/salt", "states", "state")
PILLAR_DIRS = ("pillar", "srv/pillar", "pillars")
# What kitchen-docker adds to a Debian image before a formula's tests run there.
KITCHEN_DOCKER_PACKAGES = ["sudo", "openssh-server", "curl", "lsb-release"]
LINT_FILES = (".yamllint", ".yamllint.yaml", ".yamllint.yml", ".salt-lint")
NOT_FORMULAS = {"test", "tests", "docs", "bin", "pillar", "srv", ".git", ".github"}
_JINJA_BLOCK = re.compile(r"{%.*?%}|{#.*?#}", re.S)
_JINJA_VALUE = re.compile(r"{{.*?}}", re.S)


@dataclass
class Found:
    """A repository as `saltline init` understands it, and how it came to."""

    state_roots: list[str] = field(default_factory=lambda: ["salt"])
    pillar_roots: list[str] = field(default_factory=list)
    formula: str | None = None  # a formula repository's formula name
    state_top: dict[str, Any] | None = None  # written by saltline (no top.sls of its own)
    pillar_top: dict[str, Any] | None = None
    pillar_files: dict[str, str] = field(default_factory=dict)
    environments: list[str] = field(default_factory=lambda: ["base"])
    minions: dict[str, Representative] = field(default_factory=dict)
    suites: dict[str, list[str]] = field(default_factory=dict)  # role ("*") → files
    lint_files: list[str] = field(default_factory=list)
    saltcheck: list[str] = field(default_factory=list)
    dependencies: dict[str, str] = field(default_factory=dict)  # name → URL (kitchen.yml)
    packages: list[str] = field(default_factory=list)  # in the test image (kitchen-docker's)
    found: list[str] = field(default_factory=list)  # what was read, for the user
    guessed: list[str] = field(default_factory=list)  # what was decided, and why
    unmatched: list[str] = field(default_factory=list)  # top targets without a minion


def discover(root: Path) -> Found:
    found = Found()
    master = _master_config(root, found)
    kitchen = _kitchen_suite(root, found)
    _roots(root, found, master, kitchen)
    _tops(root, found, master, kitchen)
    _tests(root, found)
    found.lint_files = [name for name in LINT_FILES if (root / name).is_file()]
    return found


def _load_yaml(path: Path) -> Any:
    """A YAML file, with Jinja blocks dropped and expressions blanked; None if unreadable."""
    text = _JINJA_VALUE.sub("x", _JINJA_BLOCK.sub("", path.read_text(errors="replace")))
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        return None


def _master_config(root: Path, found: Found) -> dict[str, Any]:
    """`file_roots`, `pillar_roots` and `nodegroups` of a checked-in master config."""
    candidates = [
        *root.glob("master"), *root.glob("*/master"), *root.glob("etc/salt/master"),
        *root.glob("master.d/*.conf"), *root.glob("*/master.d/*.conf"),
    ]  # fmt: skip
    merged: dict[str, Any] = {}
    for path in candidates:
        data = _load_yaml(path) if path.is_file() else None
        if isinstance(data, dict) and {"file_roots", "pillar_roots", "nodegroups"} & set(data):
            found.found.append(f"master config {path.relative_to(root)}")
            merged.update(data)
    return merged


def _kitchen_suite(root: Path, found: Found) -> dict[str, Any]:
    """The provisioner settings of kitchen.yml's `default` suite (or its first)."""
    for name in ("kitchen.yml", ".kitchen.yml"):
        data = _load_yaml(root / name) if (root / name).is_file() else None
        if not isinstance(data, dict):
            continue
        suites = [s for s in data.get("suites") or [] if isinstance(s, dict)]
        suite = next((s for s in suites if s.get("name") == "default"), suites[0] if suites else {})
        provisioner = {**(data.get("provisioner") or {}), **(suite.get("provisioner") or {})}
        found.found.append(f"{name}, suite {suite.get('name', '?')!r}: its state top and pillars")
        if (data.get("driver") or {}).get("name") == "docker":
            found.packages = list(KITCHEN_DOCKER_PACKAGES)
            found.guessed.append(
                f"the test image gets {', '.join(found.packages)}, which kitchen-docker "
                "installs where the formula's own tests run"
            )
        return provisioner
    return {}


def _in_repository(root: Path, configured: Any) -> list[str]:
    """A master config's roots (absolute paths on the master) as directories here."""
    paths = configured if isinstance(configured, list) else []
    result = []
    for path in map(str, paths):
        for candidate in (path.lstrip("/"), Path(path).name):
            if (root / candidate).is_dir():
                result.append(candidate)
                break
    return result


def _roots(root: Path, found: Found, master: dict[str, Any], kitchen: dict[str, Any]) -> None:
    file_roots = (master.get("file_roots") or {}).get("base")
    pillar_roots = (master.get("pillar_roots") or {}).get("base")
    states = _in_repository(root, file_roots)
    pillar = _in_repository(root, pillar_roots)
    if states:
        found.found.append(f"state roots from file_roots: {', '.join(states)}")
    else:
        states = [name for name in STATE_DIRS if (root / name / "top.sls").is_file()][:1]
        states = states or [name for name in STATE_DIRS if (root / name).is_dir()][:1]
    if not states:
        formula = kitchen.get("formula") or _formula_name(root)
        if formula:
            found.formula = str(formula)
            states = ["."]
            found.found.append(f"a formula repository: {formula}/init.sls")
    found.state_roots = states or ["salt"]
    if not pillar:
        pillar = [str(d) for d in kitchen.get("pillars_from_directories") or []]
        usual = [name for name in PILLAR_DIRS if (root / name).is_dir()]
        test_pillar = "test/salt/pillar"  # a formula's, when it has a top file of its own
        usual += [test_pillar] if (root / test_pillar / "top.sls").is_file() else []
        pillar = pillar or usual[:1]
    found.pillar_roots = [name for name in pillar if (root / name).is_dir()]
    if not states:
        found.guessed.append("no state root found: roots.states says salt/; correct it")


def _formula_name(root: Path) -> str | None:
    names = [
        path.parent.name
        for path in sorted(root.glob("*/init.sls"))
        if path.parent.name not in NOT_FORMULAS and not path.parent.name.startswith(".")
    ]
    return names[0] if len(names) == 1 else None


def _tops(root: Path, found: Found, master: dict[str, Any], kitchen: dict[str, Any]) -> None:
    state_top = _first_file(root, found.state_roots, "top.sls")
    if state_top is None:
        found.state_top = _formula_top(root, found, kitchen)
        top_data = found.state_top or {}
    else:
        found.found.append(f"state top file {state_top.relative_to(root)}")
        top_data = _load_yaml(state_top)
        if not isinstance(top_data, dict):
            found.guessed.append(
                f"{state_top.relative_to(root)} could not be read without its Jinja: "
                "add minions to saltline.yml by hand"
            )
            top_data = {}
    _minions(found, top_data, master.get("nodegroups") or {})
    _pillar(root, found, kitchen)


def _first_file(root: Path, roots: list[str], name: str) -> Path | None:
    return next((root / r / name for r in roots if (root / r / name).is_file()), None)


def _formula_top(root: Path, found: Found, kitchen: dict[str, Any]) -> dict[str, Any] | None:
    """The state top kitchen.yml applies, without states of formulas it fetches from
    elsewhere (a local `path:` dependency is a state root: its states stay, in kitchen's
    order); for a bare formula, the formula (and its _mapdata)."""
    local = _local_dependencies(root, found, kitchen)
    for name, source in _kitchen_dependencies(kitchen).items():
        if name not in local:
            found.dependencies[name] = source
    top = kitchen.get("state_top")
    if isinstance(top, dict):
        kept: dict[str, Any] = {}
        for env, targets in top.items():
            for target, states in (targets or {}).items():
                available = [
                    sls for sls in states
                    if not isinstance(sls, str) or sls.split(".")[0] not in found.dependencies
                ]  # fmt: skip
                dropped = [s for s in states if s not in available]
                if dropped:
                    found.guessed.append(
                        f"left out {', '.join(dropped)}: from formulas kitchen.yml fetches "
                        "(listed under `formulas:`, commented out)"
                    )
                if available:
                    kept.setdefault(env, {})[target] = available
        return kept or None
    if found.formula is None:
        return None
    states = [f"{found.formula}._mapdata"] if (root / found.formula / "_mapdata").is_dir() else []
    found.guessed.append(f"no top file: saltline's top applies {found.formula} to every minion")
    return {"base": {"*": [*states, found.formula]}}


def _local_dependencies(root: Path, found: Found, kitchen: dict[str, Any]) -> set[str]:
    """kitchen's `path:` dependencies inside the repository (test states a suite applies
    before the formula): kitchen copies each to srv/salt/<name>, so the directory that
    holds it becomes a state root. Their names."""
    local = set()
    for dependency in kitchen.get("dependencies") or []:
        if not isinstance(dependency, dict) or "path" not in dependency or "name" not in dependency:
            continue
        name, path = str(dependency["name"]), (root / str(dependency["path"])).resolve()
        if not path.is_dir() or not path.is_relative_to(root.resolve()):
            continue
        local.add(name)
        if path.name != name:  # salt://<name>/ would be that directory: no root says so
            found.guessed.append(
                f"kitchen dependency {name} (path: {dependency['path']}): its directory is "
                f"not named {name}; rename it, or add a state root holding {name}/ by hand"
            )
            continue
        holder = str(path.parent.relative_to(root.resolve())) or "."
        if holder not in found.state_roots:
            found.state_roots.append(holder)
        found.found.append(
            f"kitchen dependency {name}: {dependency['path']} in this repository, a state "
            f"root ({holder})"
        )
    return local


def _kitchen_dependencies(kitchen: dict[str, Any]) -> dict[str, str]:
    return {
        str(d["name"]): str(d.get("source") or d.get("path") or "")
        for d in kitchen.get("dependencies") or []
        if isinstance(d, dict) and "name" in d
    }


def _minions(found: Found, top: dict[str, Any], nodegroups: dict[str, str]) -> None:
    targets: list[tuple[str, str | None]] = []
    for env_targets in top.values():
        for target, states in (env_targets or {}).items():
            match = next(
                (
                    item["match"]
                    for item in states or []
                    if isinstance(item, dict) and "match" in item
                ),
                None,
            )
            targets.append((str(target), match))
    specific = [t for t in targets if t[0] != "*"] or targets
    for target, match in specific:
        made = representative(target, match, nodegroups)
        if isinstance(made, str):
            found.unmatched.append(f"{target!r}: {made}")
            continue
        if target == "*" and found.formula:
            made = Representative(re.sub(r"[^a-z0-9]+", "-", found.formula.lower()), {}, ())
        if made.minion_id in found.minions:
            continue
        found.minions[made.minion_id] = made
        grains = ", ".join(f"{k}={v}" for k, v in made.grains.items())
        roles = f" roles {', '.join(made.roles)}" if made.roles else ""
        grains = f" grains {grains}" if grains else ""
        found.guessed.append(f"minion {made.minion_id} for target {target!r}{roles}{grains}")
    if not found.minions:
        found.minions["minion1"] = Representative("minion1", {}, ())
        found.guessed.append("no top target gave a minion: minion1 stands in; correct it")


def _pillar(root: Path, found: Found, kitchen: dict[str, Any]) -> None:
    pillar_top = _first_file(root, found.pillar_roots, "top.sls")
    pillars = kitchen.get("pillars") or {}
    files = {
        str(name).removesuffix(".sls"): str(path)
        for name, path in (kitchen.get("pillars_from_files") or {}).items()
        if (root / str(path)).is_file()
    }
    if pillar_top is None and isinstance(pillars.get("top.sls"), dict):
        found.pillar_top = pillars["top.sls"]
        found.pillar_files = files
    elif pillar_top is None and found.formula and (root / "pillar.example").is_file():
        found.pillar_top = {"base": {"*": [found.formula]}}
        found.pillar_files = {found.formula: "pillar.example"}
        found.guessed.append(f"pillar: pillar.example as {found.formula}.sls for every minion")
    sections: list[str] = []
    if pillar_top is not None:
        found.found.append(f"pillar top file {pillar_top.relative_to(root)}")
        data = _load_yaml(pillar_top)
        sections = [str(env) for env in data] if isinstance(data, dict) else []
    elif found.pillar_top:
        sections = list(found.pillar_top)
    named = [env for env in sections if env != "base"]
    found.environments = named or ["base"]
    if not named:
        found.guessed.append("one environment, base: the pillar top's base section (if any)")
    else:
        found.guessed.append(
            f"environments {', '.join(named)} from the pillar top; all tested but those named prod*"
        )


def _tests(root: Path, found: Found) -> None:
    infra = root / "tests" / "infra"
    roles = {role for minion in found.minions.values() for role in minion.roles}
    if infra.is_dir() and any((infra / f"test_{role}.py").is_file() for role in roles):
        found.found.append("testinfra suites tests/infra/test_<role>.py (the default)")
    else:
        files = sorted(
            str(path.relative_to(root))
            for directory in ("tests", "test")
            if (root / directory).is_dir()
            for path in (root / directory).rglob("test_*.py")
            if "unit" not in path.parts and _uses_testinfra(path)
        )
        if files:
            found.suites = {"*": files}
            found.found.append(f"testinfra tests for every minion: {', '.join(files)}")
    found.saltcheck = sorted(
        str(path.relative_to(root))
        for state_root in found.state_roots
        for path in (root / state_root).rglob("saltcheck-tests/*.tst")
    )
    if found.saltcheck:
        found.found.append(f"{len(found.saltcheck)} saltcheck test file(s), run at verify")


def _uses_testinfra(path: Path) -> bool:
    return bool(re.search(r"def test_\w+\([^)]*\bhost\b", path.read_text(errors="replace")))
