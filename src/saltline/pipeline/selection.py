"""Which targets a change affects, from what the render stage saw each one use.

    >>> facts = {"dev/web1@debian12": Used({"nginx.config"}, {"nginx/files/site.conf"}),
    ...          "dev/db1@debian12": Used({"postgres.config"}, set())}
    >>> rules = Rules(state_roots=["salt"], pillar_roots=["pillar"], tests_dir="tests/infra",
    ...               always=["saltline.yml"])
    >>> affected(["salt/nginx/files/site.conf"], facts, {}, rules)
    {'dev/web1@debian12': 'salt/nginx/files/site.conf'}

A changed SLS affects the targets whose highstate has a state from it; a file a state
serves (`salt://`) the targets that use it; any other file of a component (a map.jinja,
a parameters file) the targets using an SLS of that component; a pillar SLS the targets
whose pillar top assigns it; a role's testinfra suite the targets of that role. The
configuration, the lock file, top files, custom modules (`_modules/`, `_states/`, …),
and what cannot be attributed (an SLS only others include), affect every target; a
file outside the Salt code and the tests affects none.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import PurePosixPath

from saltline.config import Config

EVERYTHING = "*"


@dataclass(frozen=True)
class Used:
    """What one target's highstate used: SLS names, and salt:// paths it serves."""

    sls: set[str] = field(default_factory=set)
    sources: set[str] = field(default_factory=set)
    pillar: set[str] = field(default_factory=set)  # pillar SLS its pillar top assigns


@dataclass(frozen=True)
class Rules:
    state_roots: list[str]  # relative to the configuration's directory
    pillar_roots: list[str]
    tests_dir: str
    always: list[str]  # files that affect everything (saltline.yml, saltline.lock, …)
    suites: dict[str, tuple[str, ...]] = field(default_factory=dict)  # tests.suites


def rules_for(config: Config) -> Rules:
    return Rules(
        state_roots=list(config.state_roots),
        pillar_roots=list(config.pillar_roots),
        tests_dir=config.tests.testinfra,
        always=[config.path.name, config.lock_path.name],
        suites=config.tests.suites,
    )


def affected(
    changed: list[str], facts: dict[str, Used], roles: dict[str, tuple[str, ...]], rules: Rules
) -> dict[str, str]:
    """Target key → the first changed file that affects it."""
    found: dict[str, str] = {}
    for path in changed:
        for key in _targets_of(path, facts, roles, rules):
            found.setdefault(key, path)
    return found


def _targets_of(
    path: str, facts: dict[str, Used], roles: dict[str, tuple[str, ...]], rules: Rules
) -> list[str]:
    everything = list(facts)
    if path in rules.always or PurePosixPath(path).name == "top.sls":
        return everything
    for root in rules.pillar_roots:
        if under(path, root):
            name = _sls_name(relative(path, root))
            users = [key for key, used in facts.items() if name in used.pillar]
            return users or everything  # an SLS only others include: cannot attribute
    suite_files = {file for files in rules.suites.values() for file in files}
    if path.endswith(".py") and (under(path, rules.tests_dir) or path in suite_files):
        return _tests_of(path, facts, roles, rules)
    for root in rules.state_roots:
        if under(path, root):
            return _state_file(relative(path, root), facts)
    return []


def unseen_by_rendering(path: str, rules: Rules) -> str | None:
    """What a changed file is when a render cannot show its effect (custom modules, the
    lock file's formula pins, the tests), else None: the rendered impact decides."""
    if path == rules.always[-1]:
        return "the lock file"
    suite_files = {file for files in rules.suites.values() for file in files}
    if path.endswith(".py") and (under(path, rules.tests_dir) or path in suite_files):
        return "a test"
    for root in rules.state_roots:
        if under(path, root) and PurePosixPath(relative(path, root)).parts[0].startswith("_"):
            return "a custom module"
    return None


def _tests_of(
    path: str, facts: dict[str, Used], roles: dict[str, tuple[str, ...]], rules: Rules
) -> list[str]:
    """The targets a test module runs on: by `tests.suites`, else `test_<role>.py`."""
    if rules.suites:
        selecting = {role for role, files in rules.suites.items() if path in files}
    else:
        name = PurePosixPath(path).stem
        selecting = {name.removeprefix("test_")} if name.startswith("test_") else {EVERYTHING}
    if not selecting or EVERYTHING in selecting:  # every minion's, or a helper all may use
        return list(facts)
    return [key for key in facts if selecting & set(roles.get(key, ()))]


def _state_file(relative: str, facts: dict[str, Used]) -> list[str]:
    parts = PurePosixPath(relative).parts
    if any(part.startswith("_") for part in parts[:1]):  # _modules, _states, _grains …
        return list(facts)
    if relative.endswith(".sls"):
        name = _sls_name(relative)
        users = [key for key, used in facts.items() if name in used.sls]
        if users:
            return users
    else:
        users = [key for key, used in facts.items() if relative in used.sources]
        if users:
            return users
    component = parts[0] if len(parts) > 1 else None
    if component is None:
        return list(facts)  # a file at the root of the states: cannot attribute
    users = [
        key
        for key, used in facts.items()
        if any(sls == component or sls.startswith(component + ".") for sls in used.sls)
    ]
    # A component no target uses yet, or an SLS only of includes: cannot attribute
    return users or list(facts)


def _sls_name(relative: str) -> str:
    """`nginx/config/init.sls` → `nginx.config`."""
    return relative.removesuffix(".sls").removesuffix("/init").replace("/", ".")


def under(path: str, root: str) -> bool:
    return root in ("", ".") or path == root or path.startswith(root.rstrip("/") + "/")


def relative(path: str, root: str) -> str:
    return path if root in ("", ".") else path[len(root.rstrip("/")) + 1 :]
