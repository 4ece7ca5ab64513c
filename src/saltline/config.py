"""Load and validate `saltline.yml`, the estate's test matrix.

Every error names the file, the line and the key, and says what was expected:

    saltline.yml:12: minions.web1.role: unknown key; allowed: grains, platforms, roles
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from saltline.errors import ConfigError
from saltline.master_url import MasterAddress, parse_master_url

CONFIG_NAME = "saltline.yml"
LOCK_NAME = "saltline.lock"
# saltline's own outputs under the root: never shipped, never make the tree dirty
OWN_OUTPUTS = ("reports", ".saltline")
NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")
PACKAGE_PATTERN = re.compile(r"^[a-z0-9][a-z0-9+.-]*$")
SALT_VERSION_PATTERN = re.compile(r"^\d{4}(\.\d+)?$")
DEFAULT_MIRROR = "http://deb.debian.org/debian"
DEFAULT_TIMEOUTS = {"render": 300, "converge": 900, "verify": 600}
DEFAULT_PYTHON_PATHS = ("tests",)

Path_ = tuple[str, ...]


@dataclass(frozen=True)
class Platform:
    """A base OS a minion is tested on (a Debian suite, for now)."""

    name: str
    suite: str
    image: str
    mirror: str = DEFAULT_MIRROR
    packages: tuple[str, ...] = ()  # installed in the test image, as on the servers' base
    salt_versions: tuple[str, ...] = ()  # the Salt versions tested on it; empty: every one


@dataclass(frozen=True)
class Minion:
    """A minion of the estate: its id, roles, platforms and grains."""

    name: str
    roles: tuple[str, ...]
    platforms: tuple[str, ...]
    grains: dict[str, Any] = field(default_factory=dict)
    salt_versions: tuple[str, ...] = ()  # the Salt versions it is tested with; empty: every one


@dataclass(frozen=True)
class FormulaSpec:
    """A formula the estate depends on: a git repository at a ref, or a local git checkout."""

    name: str
    source: str  # a git URL, or a path relative to the configuration's directory
    ref: str | None  # tag, branch or SHA; None: the source's HEAD
    local: bool  # `path:` rather than `git:`


@dataclass(frozen=True)
class VerifyTests:
    """Where the verify stage finds its tests, and which a minion's roles select."""

    testinfra: str = "tests/infra"  # test_<role>.py per role, unless `suites` says otherwise
    suites: dict[str, tuple[str, ...]] = field(default_factory=dict)  # role ("*": all) → files
    saltcheck: bool = True  # run the saltcheck-tests of the states a minion applies


def target_key(environment: str, minion: str, platform: str, salt_version: str) -> str:
    """How a target is named in output, reports and JUnit: `dev/web1@debian12/salt3007.13`."""
    return f"{environment}/{minion}@{platform}/salt{salt_version}"


@dataclass(frozen=True)
class Target:
    """One test container: a minion on a platform with a Salt version, with an
    environment's pillar."""

    minion: Minion
    platform: Platform
    environment: str
    salt_version: str

    @property
    def key(self) -> str:
        return target_key(self.environment, self.minion.name, self.platform.name, self.salt_version)

    @property
    def cell(self) -> tuple[str, str]:
        """(platform, Salt version): what image it runs."""
        return (self.platform.name, self.salt_version)

    @property
    def group(self) -> tuple[str, str, str]:
        """Targets of one group share a network and see each other by minion id."""
        return (self.environment, self.platform.name, self.salt_version)


@dataclass(frozen=True)
class Promotion:
    keep_releases: int = 5  # release directories kept on each master
    batch_size: int = 1  # minions applied at once during a rollout
    timeout: int = 900  # seconds for one salt command on a master
    candidate_port: int = 4606  # where each master's candidate master listens for dry runs
    ssh_config: Path | None = None  # an ssh client configuration for ssh:// masters


@dataclass(frozen=True)
class Config:
    path: Path
    salt_version: str  # the default: the fleet's, and a merge request's cell
    platforms: dict[str, Platform]
    minions: dict[str, Minion]
    environments: tuple[str, ...]
    timeouts: dict[str, int]
    test_environments: tuple[str, ...] = ()  # whose pillar test minions get, in order
    gpg_key: Path | None = None  # test-only private key for pillar secrets
    # The local fleet's masters' private keys by environment (default: gpg_key): stand-ins
    # for real masters' keys, which never leave the masters.
    master_keys: dict[str, Path] = field(default_factory=dict)
    ca_bundle: Path | None = None
    python_paths: tuple[str, ...] = DEFAULT_PYTHON_PATHS  # what ruff lints
    masters: dict[str, tuple[MasterAddress, ...]] = field(default_factory=dict)
    promotion: Promotion = field(default_factory=lambda: Promotion())
    state_roots: tuple[str, ...] = ("salt",)  # file_roots, in order, relative to `root`
    pillar_roots: tuple[str, ...] = ("pillar",)
    # Top files and pillar SLS saltline writes when the repository has none (a formula).
    state_top: dict[str, Any] | None = None
    pillar_top: dict[str, Any] | None = None
    pillar_files: dict[str, str] = field(default_factory=dict)  # pillar SLS name → file
    formulas: dict[str, FormulaSpec] = field(default_factory=dict)
    tests: VerifyTests = field(default_factory=lambda: VerifyTests())
    pillarenvs: dict[str, str | None] = field(default_factory=dict)  # said, else guessed
    salt_versions: tuple[str, ...] = ()  # the matrix's, the default first; empty: the default

    @property
    def matrix_salt_versions(self) -> tuple[str, ...]:
        return self.salt_versions or (self.salt_version,)

    @property
    def default_platform(self) -> str:
        """The first platform listed: with the default Salt version, the default cell."""
        return next(iter(self.platforms))

    def salt_matching(self, wanted: str) -> str:
        """The configured Salt version `wanted` names: itself, or a release line (`3008`)."""
        versions = self.matrix_salt_versions
        if wanted == "default":
            return self.salt_version
        found = [v for v in versions if v == wanted or v.split(".")[0] == wanted]
        if not found:
            raise ConfigError(
                f"{self.path}: no Salt version {wanted!r} in the matrix; "
                f"configured: {', '.join(versions)} (or `default`)"
            )
        return found[0]

    def cells_of(self, minion: Minion) -> list[tuple[Platform, str]]:
        """The (platform, Salt version) cells a minion is tested on."""
        return [
            (self.platforms[name], version)
            for name in minion.platforms
            for version in self.matrix_salt_versions
            if version in (self.platforms[name].salt_versions or (version,))
            and version in (minion.salt_versions or (version,))
        ]

    @property
    def promotion_order(self) -> tuple[str, ...]:
        """The environments a commit passes through, in order: those with masters."""
        return tuple(env for env in self.environments if self.masters.get(env))

    @property
    def root(self) -> Path:
        return self.path.parent

    @property
    def lock_path(self) -> Path:
        """Where the formulas' pinned commits are written (commit it)."""
        return self.root / LOCK_NAME

    @property
    def golden_dir(self) -> Path:
        """Expected rendered data (pillar, map.jinja) per minion × environment."""
        return self.root / "tests" / "golden"

    def targets(
        self,
        minions: list[str] | None = None,
        platform: str | None = None,
        shard: tuple[int, int] | None = None,
        environment: str | None = None,
        salt: str | None = None,
    ) -> list[Target]:
        """The minion × platform × Salt version × tested environment targets, optionally
        narrowed (`salt`: a version or release line, see `salt_matching`).

        Unknown names are errors. `shard=(i, n)` keeps every n-th group (environment ×
        platform) starting at the i-th (1-based), so that n parallel CI jobs together test
        each target exactly once, and minions that talk to each other share a job.
        """
        for name in minions or []:
            if name not in self.minions:
                raise ConfigError(
                    f"{self.path}: no minion named {name!r}; "
                    f"declared minions: {', '.join(sorted(self.minions))}"
                )
        if platform is not None and platform not in self.platforms:
            raise ConfigError(
                f"{self.path}: no platform named {platform!r}; "
                f"declared platforms: {', '.join(sorted(self.platforms))}"
            )
        if environment is not None and environment not in self.test_environments:
            raise ConfigError(
                f"{self.path}: environment {environment!r} is not tested; "
                f"tested (test: true): {', '.join(self.test_environments)}"
            )
        version = self.salt_matching(salt) if salt is not None else None
        chosen = (
            [self.minions[name] for name in minions] if minions else list(self.minions.values())
        )
        environments = [environment] if environment else self.test_environments
        targets = [
            Target(minion, cell_platform, env, cell_version)
            for env in environments
            for minion in chosen
            for cell_platform, cell_version in self.cells_of(minion)
            if (platform is None or cell_platform.name == platform)
            and (version is None or cell_version == version)
        ]
        if shard is None:
            return targets
        index, total = shard
        groups = list(dict.fromkeys(target.group for target in targets))
        mine = set(groups[index - 1 :: total])
        return [target for target in targets if target.group in mine]


def find(start: Path | None = None) -> Path:
    """The nearest `saltline.yml` in `start` or a parent directory."""
    here = (start or Path.cwd()).resolve()
    for directory in (here, *here.parents):
        candidate = directory / CONFIG_NAME
        if candidate.is_file():
            return candidate
    raise ConfigError(
        f"no {CONFIG_NAME} in {here} or any parent directory; "
        "run saltline from your Salt repository, or name the file with `-c PATH` "
        "(README: `saltline.yml` shows one)"
    )


def load(path: Path) -> Config:
    """Parse and validate a `saltline.yml`."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: file not found") from None
    return parse(text, path)


def parse(text: str, path: Path) -> Config:
    """Validate a `saltline.yml` given as text (for example as it is in a commit); `path`
    names it in errors and anchors its relative paths."""
    try:
        data, lines = _parse_with_lines(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"{where}: invalid YAML: {problem}") from None
    return _Validator(path, lines).config(data)


def _parse_with_lines(text: str) -> tuple[Any, dict[Path_, int]]:
    """The YAML document, and the line (1-based) of every mapping key by its path."""
    node = yaml.compose(text, Loader=yaml.SafeLoader)
    lines: dict[Path_, int] = {}

    def walk(item: yaml.Node, path: Path_) -> None:
        if isinstance(item, yaml.MappingNode):
            for key, value in item.value:
                child = (*path, str(key.value))
                lines[child] = key.start_mark.line + 1
                walk(value, child)
        elif isinstance(item, yaml.SequenceNode):
            for index, value in enumerate(item.value):
                lines[(*path, str(index))] = value.start_mark.line + 1
                walk(value, (*path, str(index)))

    if node is not None:
        walk(node, ())
    return yaml.safe_load(text), lines


class _Validator:
    """Turns the parsed document into a `Config`, naming file:line and key on every error."""

    def __init__(self, path: Path, lines: dict[Path_, int]):
        self.path = path
        self.lines = lines

    def fail(self, at: Path_, message: str) -> ConfigError:
        line = next((self.lines[at[:n]] for n in range(len(at), 0, -1) if at[:n] in self.lines), 1)
        key = ".".join(at) or "(top level)"
        return ConfigError(f"{self.path}:{line}: {key}: {message}")

    def mapping(
        self, value: Any, at: Path_, allowed: set[str], required: set[str]
    ) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(at, f"expected a mapping, got {type(value).__name__}")
        for key in value:
            if key not in allowed:
                raise self.fail(
                    (*at, str(key)), f"unknown key; allowed: {', '.join(sorted(allowed))}"
                )
        for key in sorted(required - set(value)):
            raise self.fail(at, f"missing required key {key!r}")
        return value

    def string(self, value: Any, at: Path_, pattern: re.Pattern[str] | None = None) -> str:
        if isinstance(value, int | float) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str) or not value:
            raise self.fail(at, f"expected a non-empty string, got {value!r}")
        if pattern is not None and not pattern.match(value):
            raise self.fail(at, f"{value!r} does not match {pattern.pattern}")
        return value

    def positive(self, value: Any, at: Path_) -> int:
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise self.fail(at, f"expected a positive whole number, got {value!r}")
        return value

    def sections(self, value: Any, at: Path_, expected: str) -> list[tuple[str, Any, Path_]]:
        """The (name, body, path) of each entry of a non-empty mapping keyed by names."""
        if not isinstance(value, dict) or not value:
            raise self.fail(at, f"expected a mapping of {expected}")
        entries = []
        for name, body in value.items():
            here = (*at, str(name))
            entries.append((self.string(name, here, NAME_PATTERN), body, here))
        return entries

    def names(self, value: Any, at: Path_, choices: set[str] | None = None) -> tuple[str, ...]:
        if not isinstance(value, list) or not value:
            raise self.fail(at, f"expected a non-empty list, got {value!r}")
        names = tuple(
            self.string(item, (*at, str(i)), NAME_PATTERN) for i, item in enumerate(value)
        )
        for i, name in enumerate(names):
            if choices is not None and name not in choices:
                raise self.fail(
                    (*at, str(i)),
                    f"{name!r} is not declared; choose from {', '.join(sorted(choices))}",
                )
        return names

    def config(self, data: Any) -> Config:
        top = self.mapping(
            data,
            (),
            allowed={
                "salt_version",
                "salt_versions",
                "platforms",
                "minions",
                "environments",
                "timeouts",
                "ca_bundle",
                "lint",
                "promotion",
                "secrets",
                "roots",
                "top",
                "pillar_files",
                "formulas",
                "tests",
            },
            required={"salt_version", "platforms", "minions", "environments"},
        )
        salt_version = self.string(top["salt_version"], ("salt_version",), SALT_VERSION_PATTERN)
        salt_versions = self.salt_versions(top.get("salt_versions"), salt_version)
        masters, tested, pillarenvs = self.environments(top["environments"])
        environments = tuple(masters)
        roots = self.mapping(top.get("roots", {}), ("roots",), {"states", "pillar"}, set())
        tops = self.mapping(top.get("top", {}), ("top",), {"states", "pillar"}, set())
        platforms = self.platforms(top["platforms"], salt_versions)
        minions = self.minions(top["minions"], set(platforms), salt_versions)
        return Config(
            path=self.path,
            salt_version=salt_version,
            platforms=platforms,
            minions=minions,
            environments=environments,
            timeouts=self.timeouts(top.get("timeouts", {})),
            test_environments=tested or environments[:1],  # `test: true`, else the first
            gpg_key=self.gpg_key(top.get("secrets", {})),
            master_keys=self.master_keys(top.get("secrets", {}), environments),
            ca_bundle=self.ca_bundle(top.get("ca_bundle")),
            python_paths=self.python_paths(top.get("lint", {})),
            masters=masters,
            promotion=self.promotion(top.get("promotion", {})),
            state_roots=self.roots(roots, "states", "salt"),
            pillar_roots=self.roots(roots, "pillar", "pillar"),
            state_top=self.top_file(tops, "states"),
            pillar_top=self.top_file(tops, "pillar"),
            pillar_files=self.pillar_files(top.get("pillar_files", {})),
            formulas=self.formulas(top.get("formulas", {})),
            tests=self.tests(top.get("tests", {})),
            pillarenvs=pillarenvs,
            salt_versions=salt_versions,
        )

    def salt_versions(self, value: Any, default: str) -> tuple[str, ...]:
        """The matrix's Salt versions, the default first; one per release line."""
        at = ("salt_versions",)
        if value is None:
            return (default,)
        if not isinstance(value, list) or not value:
            raise self.fail(at, f"expected a list of Salt versions, got {value!r}")
        versions = [
            self.string(item, (*at, str(i)), SALT_VERSION_PATTERN) for i, item in enumerate(value)
        ]
        if default not in versions:
            raise self.fail(at, f"does not list salt_version {default!r}, the default")
        lines = [version.split(".")[0] for version in versions]
        twice = sorted({line for line in lines if lines.count(line) > 1})
        if twice:
            raise self.fail(
                at, f"two versions of Salt {', '.join(twice)}: list one per release line"
            )
        return (default, *(version for version in versions if version != default))

    def version_subset(self, value: Any, at: Path_, versions: tuple[str, ...]) -> tuple[str, ...]:
        """Salt versions from the matrix, each named exactly or by its release line."""
        if not isinstance(value, list):
            raise self.fail(at, f"expected a list of Salt versions, got {value!r}")
        chosen = []
        for i, item in enumerate(value):
            text = str(item)
            found = [v for v in versions if text in (v, v.split(".")[0])]
            if not found:
                raise self.fail(
                    (*at, str(i)),
                    f"{text!r} is not in salt_versions; choose from {', '.join(versions)}",
                )
            chosen.append(found[0])
        return tuple(v for v in versions if v in chosen)

    def roots(self, body: dict[str, Any], key: str, default: str) -> tuple[str, ...]:
        """Directories relative to the configuration's, each of which must exist."""
        at = ("roots", key)
        if key not in body:  # the estate's own layout; a repository without pillar has none
            exists = (self.path.parent / default).is_dir()
            return (default,) if exists or key == "states" else ()
        value = body[key]
        if not isinstance(value, list) or (key == "states" and not value):
            raise self.fail(at, f"expected a list of directories, got {value!r}")
        roots = []
        for index, item in enumerate(value):
            name = self.string(item, (*at, str(index)))
            if not (self.path.parent / name).is_dir():
                raise self.fail(
                    (*at, str(index)), f"{name!r} is not a directory under {self.path.parent}"
                )
            roots.append(name)
        return tuple(roots)

    def top_file(self, body: dict[str, Any], key: str) -> dict[str, Any] | None:
        """A top file given in saltline.yml: environment → target → list of SLS names."""
        if key not in body:
            return None
        at = ("top", key)
        value = body[key]
        if not isinstance(value, dict) or not value:
            raise self.fail(at, "expected a top file: environment → target → list of SLS")
        for env, targets in value.items():
            if not isinstance(targets, dict) or not targets:
                raise self.fail((*at, str(env)), "expected a mapping of target to a list of SLS")
            for target, names in targets.items():
                if not isinstance(names, list) or not names:
                    raise self.fail((*at, str(env), str(target)), "expected a list of SLS names")
        return value

    def pillar_files(self, value: Any) -> dict[str, str]:
        at = ("pillar_files",)
        if not isinstance(value, dict):
            raise self.fail(at, "expected a mapping of pillar SLS name to a file")
        files = {}
        for name, path in value.items():
            here = (*at, str(name))
            files[str(name)] = self.string(path, here)
            if not (self.path.parent / files[str(name)]).is_file():
                raise self.fail(here, f"{path!r} is not a file under {self.path.parent}")
        return files

    def formulas(self, value: Any) -> dict[str, FormulaSpec]:
        at = ("formulas",)
        if not isinstance(value, dict):
            raise self.fail(at, "expected a mapping of formula name to {git, ref} or {path}")
        formulas = {}
        for name, body, here in (
            self.sections(value, at, "formula name to {git, ref} or {path}") if value else []
        ):
            body = self.mapping(body, here, allowed={"git", "path", "ref"}, required=set())
            if ("git" in body) == ("path" in body):
                raise self.fail(here, "give either `git: URL` (with `ref:`) or `path: DIRECTORY`")
            local = "path" in body
            source = self.string(
                body["path" if local else "git"], (*here, "path" if local else "git")
            )
            ref = self.string(body["ref"], (*here, "ref")) if "ref" in body else None
            formulas[name] = FormulaSpec(name=name, source=source, ref=ref, local=local)
        return formulas

    def tests(self, value: Any) -> VerifyTests:
        at = ("tests",)
        body = self.mapping(value, at, allowed={"testinfra", "suites", "saltcheck"}, required=set())
        saltcheck = body.get("saltcheck", True)
        if not isinstance(saltcheck, bool):
            raise self.fail((*at, "saltcheck"), f"expected true or false, got {saltcheck!r}")
        suites_value = body.get("suites", {})
        if not isinstance(suites_value, dict):
            raise self.fail((*at, "suites"), "expected a mapping of role (or '*') to test files")
        suites = {}
        for role, files in suites_value.items():
            here = (*at, "suites", str(role))
            if not isinstance(files, list) or not files:
                raise self.fail(here, "expected a non-empty list of test files")
            suites[str(role)] = tuple(self.string(f, (*here, str(i))) for i, f in enumerate(files))
        testinfra = self.string(body.get("testinfra", VerifyTests.testinfra), (*at, "testinfra"))
        return VerifyTests(testinfra=testinfra, suites=suites, saltcheck=saltcheck)

    def environments(
        self, value: Any
    ) -> tuple[dict[str, tuple[MasterAddress, ...]], tuple[str, ...], dict[str, str | None]]:
        """Environments in order, each with the masters promotion deploys to (maybe none),
        those marked `test: true`, and the pillarenv of those that name one."""
        at = ("environments",)
        if isinstance(value, list):
            return {name: () for name in self.names(value, at)}, (), {}
        environments = {}
        tested = []
        pillarenvs: dict[str, str | None] = {}
        for name, body, here in self.sections(value, at, "environment name to {masters, test}"):
            body = self.mapping(
                body or {}, here, allowed={"masters", "test", "pillarenv"}, required=set()
            )
            if "pillarenv" in body:
                chosen = body["pillarenv"]
                pillarenvs[name] = (
                    None if chosen is None else self.string(chosen, (*here, "pillarenv"))
                )
            test = body.get("test", False)
            if not isinstance(test, bool):
                raise self.fail((*here, "test"), f"expected true or false, got {test!r}")
            if test:
                tested.append(name)
            urls = body.get("masters", [])
            if not isinstance(urls, list):
                raise self.fail((*here, "masters"), "expected a list of master URLs")
            addresses = []
            for index, url in enumerate(urls):
                try:
                    addresses.append(
                        parse_master_url(self.string(url, (*here, "masters", str(index))))
                    )
                except ValueError as exc:
                    raise self.fail((*here, "masters", str(index)), str(exc)) from None
            environments[name] = tuple(addresses)
        return environments, tuple(tested), pillarenvs

    def promotion(self, value: Any) -> Promotion:
        at = ("promotion",)
        body = self.mapping(
            value,
            at,
            allowed={"keep_releases", "batch_size", "timeout", "candidate_port", "ssh_config"},
            required=set(),
        )
        numbers = {k: self.positive(v, (*at, k)) for k, v in body.items() if k != "ssh_config"}
        ssh_config = None
        if "ssh_config" in body:
            ssh_config = self.path.parent / self.string(body["ssh_config"], (*at, "ssh_config"))
        return Promotion(**numbers, ssh_config=ssh_config)

    def platforms(self, value: Any, versions: tuple[str, ...]) -> dict[str, Platform]:
        at = ("platforms",)
        platforms = {}
        for name, body, here in self.sections(value, at, "platform name to {suite, image}"):
            body = self.mapping(
                body,
                here,
                allowed={"suite", "image", "mirror", "packages", "salt_versions"},
                required={"suite"},
            )
            suite = self.string(body["suite"], (*here, "suite"), NAME_PATTERN)
            platforms[name] = Platform(
                name=name,
                suite=suite,
                image=self.string(body.get("image", f"debian:{suite}"), (*here, "image")),
                mirror=self.string(body.get("mirror", DEFAULT_MIRROR), (*here, "mirror")),
                packages=self.packages(body.get("packages", []), (*here, "packages")),
                salt_versions=self.version_subset(
                    body.get("salt_versions", []), (*here, "salt_versions"), versions
                ),
            )
        return platforms

    def packages(self, value: Any, at: Path_) -> tuple[str, ...]:
        if not isinstance(value, list):
            raise self.fail(at, f"expected a list of Debian package names, got {value!r}")
        return tuple(
            self.string(item, (*at, str(i)), PACKAGE_PATTERN) for i, item in enumerate(value)
        )

    def minions(
        self, value: Any, platforms: set[str], versions: tuple[str, ...]
    ) -> dict[str, Minion]:
        at = ("minions",)
        minions = {}
        for name, body, here in self.sections(value, at, "minion id to {roles, platforms}"):
            body = self.mapping(
                body or {},
                here,
                allowed={"roles", "platforms", "grains", "salt_versions"},
                required=set(),
            )
            grains = body.get("grains", {})
            if not isinstance(grains, dict):
                raise self.fail((*here, "grains"), "expected a mapping of grain name to value")
            minions[name] = Minion(
                name=name,
                roles=self.names(body["roles"], (*here, "roles")) if "roles" in body else (),
                platforms=self.names(
                    body.get("platforms", sorted(platforms)), (*here, "platforms"), platforms
                ),
                grains=grains,
                salt_versions=self.version_subset(
                    body.get("salt_versions", []), (*here, "salt_versions"), versions
                ),
            )
        return minions

    def timeouts(self, value: Any) -> dict[str, int]:
        at = ("timeouts",)
        body = self.mapping(value, at, allowed=set(DEFAULT_TIMEOUTS), required=set())
        timeouts = dict(DEFAULT_TIMEOUTS)
        for key, seconds in body.items():
            timeouts[key] = self.positive(seconds, (*at, key))
        return timeouts

    def python_paths(self, value: Any) -> tuple[str, ...]:
        body = self.mapping(value, ("lint",), allowed={"python"}, required=set())
        if "python" not in body:
            return DEFAULT_PYTHON_PATHS
        paths = body["python"]
        if not isinstance(paths, list):
            raise self.fail(("lint", "python"), "expected a list of paths for ruff")
        return tuple(self.string(p, ("lint", "python", str(i))) for i, p in enumerate(paths))

    def gpg_key(self, value: Any) -> Path | None:
        body = self.mapping(
            value or {}, ("secrets",), allowed={"gpg_key", "master_keys"}, required=set()
        )
        if "gpg_key" not in body:
            return None
        return self.key_file(body["gpg_key"], ("secrets", "gpg_key"))

    def master_keys(self, value: Any, environments: tuple[str, ...]) -> dict[str, Path]:
        keys = (value or {}).get("master_keys", {})
        at = ("secrets", "master_keys")
        if not isinstance(keys, dict):
            raise self.fail(at, "expected a mapping of environment to private key file")
        for env in keys:
            if env not in environments:
                raise self.fail((*at, str(env)), f"no environment named {env!r}")
        return {str(env): self.key_file(path, (*at, str(env))) for env, path in keys.items()}

    def key_file(self, value: Any, at: Path_) -> Path:
        path = (self.path.parent / self.string(value, at)).resolve()
        if not path.is_file():
            raise self.fail(at, f"{path} is not a file (an ASCII-armored private key)")
        return path

    def ca_bundle(self, value: Any) -> Path | None:
        value = os.environ.get("SALTLINE_CA_BUNDLE") or value
        if value is None:
            return None
        path = (self.path.parent / self.string(value, ("ca_bundle",))).resolve()
        if not path.is_file():
            raise self.fail(("ca_bundle",), f"{path} is not a file (set it, or SALTLINE_CA_BUNDLE)")
        return path
