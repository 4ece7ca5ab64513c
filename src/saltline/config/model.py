"""What `saltline.yml` says, once loaded: the estate's matrix, environments and settings."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from saltline.errors import ConfigError
from saltline.master_url import MasterAddress

CONFIG_NAME = "saltline.yml"
LOCK_NAME = "saltline.lock"
# saltline's own outputs under the root: never shipped, never make the tree dirty
OWN_OUTPUTS = ("reports", ".saltline")
DEFAULT_MIRROR = "http://deb.debian.org/debian"
DEFAULT_TIMEOUTS = {"render": 300, "converge": 900, "verify": 600}
DEFAULT_PYTHON_PATHS = ("tests",)


@dataclass(frozen=True)
class ContainerOptions:
    """What a test container needs beyond saltline's defaults (`container:` of a platform
    or a minion), passed to Docker as they are."""

    sysctls: dict[str, str] = field(default_factory=dict)
    cap_add: tuple[str, ...] = ()
    tmpfs: dict[str, str] = field(default_factory=dict)
    devices: tuple[str, ...] = ()
    security_opt: tuple[str, ...] = ()
    privileged: bool = False

    def merged(self, more: ContainerOptions) -> ContainerOptions:
        """These options with `more` (a minion's, over its platform's) added on top."""
        return ContainerOptions(
            sysctls={**self.sysctls, **more.sysctls},
            cap_add=tuple(dict.fromkeys(self.cap_add + more.cap_add)),
            tmpfs={**self.tmpfs, **more.tmpfs},
            devices=tuple(dict.fromkeys(self.devices + more.devices)),
            security_opt=tuple(dict.fromkeys(self.security_opt + more.security_opt)),
            privileged=self.privileged or more.privileged,
        )

    def given(self) -> dict[str, Any]:
        """The options set, as saltline.yml names them (for reports and Docker)."""
        every = {"sysctls": self.sysctls, "cap_add": list(self.cap_add), "tmpfs": self.tmpfs,
                 "devices": list(self.devices), "security_opt": list(self.security_opt),
                 "privileged": self.privileged}  # fmt: skip
        return {name: value for name, value in every.items() if value}


@dataclass(frozen=True)
class Exclusion:
    """A state not applied in test containers (Salt's `exclude`): by state ID or SLS."""

    kind: str  # "id" or "sls"
    name: str
    reason: str

    def salt(self) -> dict[str, str]:
        return {self.kind: self.name}


@dataclass(frozen=True)
class Platform:
    """A base OS a minion is tested on: a Debian suite saltline builds an image of, or a
    golden image with Salt preinstalled (`preinstalled`: `image` used as it is)."""

    name: str
    suite: str  # "" for a golden image
    image: str
    mirror: str = DEFAULT_MIRROR
    packages: tuple[str, ...] = ()  # installed in the test image, as on the servers' base
    salt_versions: tuple[str, ...] = ()  # the Salt versions tested on it; empty: every one
    container: ContainerOptions = field(default_factory=ContainerOptions)
    preinstalled: bool = False  # `salt: preinstalled`: its Salt version is the image's


@dataclass(frozen=True)
class Minion:
    """A minion of the estate: its id, roles, platforms and grains."""

    name: str
    roles: tuple[str, ...]
    platforms: tuple[str, ...]
    grains: dict[str, Any] = field(default_factory=dict)
    salt_versions: tuple[str, ...] = ()  # the Salt versions it is tested with; empty: every one
    container: ContainerOptions = field(default_factory=ContainerOptions)
    exclude: tuple[Exclusion, ...] = ()  # not applied in containers, each with its reason


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
    golden: str = "tests/golden"  # expected rendered data per minion × environment
    suites: dict[str, tuple[str, ...]] = field(default_factory=dict)  # role ("*": all) → files
    saltcheck: bool = True  # run the saltcheck-tests of the states a minion applies
    prediction: bool = False  # converge checks Salt's test=True prediction first


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
    def container(self) -> ContainerOptions:
        """Its container's options: its platform's, its minion's on top."""
        return self.platform.container.merged(self.minion.container)

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
    timeout: int = 900  # seconds for one salt command on a master (an apply)
    metadata_timeout: int = 30  # seconds for a link, the lease, a history or audit line
    ping_timeout: int = 5  # seconds a liveness ping waits before a batch
    candidate_start_timeout: int = 60  # seconds a candidate master may take to listen
    busy_wait: int = 60  # seconds a batch waits for its minions' running state jobs
    unreachable: str = "fail"  # minions that do not answer: "fail" refuses, "skip" leaves out
    candidate_port: int = 4606  # where each master's candidate master listens for dry runs
    ssh_config: Path | None = None  # an ssh client configuration for ssh:// masters
    allowed_signers: Path | None = None  # whose signed passes and rollout records count


@dataclass(frozen=True)
class Config:
    path: Path
    salt_version: str  # the default: the fleet's, and a merge request's cell
    platforms: dict[str, Platform]
    minions: dict[str, Minion]
    environments: tuple[str, ...]
    timeouts: dict[str, int]
    test_environments: tuple[str, ...] = ()  # whose pillar test minions get, in order
    protected: tuple[str, ...] = ()  # where even a dry run needs a commit the gate passes
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
    environment_signers: dict[str, Path] = field(default_factory=dict)  # an environment's own
    # Not from the file: the key a protected branch's CI job signs with (SALTLINE_SIGNING_KEY)
    signing_key: Path | None = None

    def allowed_signers(self, environment: str) -> Path | None:
        """The allowed_signers file whose keys' signatures count for `environment`."""
        return self.environment_signers.get(environment, self.promotion.allowed_signers)

    @property
    def matrix_salt_versions(self) -> tuple[str, ...]:
        return self.salt_versions or (self.salt_version,)

    @property
    def golden_platforms(self) -> list[Platform]:
        """Platforms whose image has Salt preinstalled (`engine.golden` reads its version)."""
        return [platform for platform in self.platforms.values() if platform.preinstalled]

    def with_preinstalled(self, versions: dict[str, str]) -> Config:
        """This configuration with each golden platform's Salt version as read from its
        image: the one version it is tested with, added to the matrix (the other
        platforms keep the versions they had)."""
        matrix = self.matrix_salt_versions
        added = tuple(dict.fromkeys(v for v in versions.values() if v not in matrix))
        platforms = {
            name: replace(
                platform,
                salt_versions=(versions[name],) if name in versions
                else platform.salt_versions or matrix,
            )
            for name, platform in self.platforms.items()
        }  # fmt: skip
        return replace(self, platforms=platforms, salt_versions=matrix + added)

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
        return self.root / self.tests.golden

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
