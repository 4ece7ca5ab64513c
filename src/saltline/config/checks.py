"""What the schema cannot say about `saltline.yml`, checked while the model is built:
references between sections, files that must exist, the default Salt version in the
matrix. The document has passed the schema already, so its shapes are not checked again.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from saltline.config.model import (
    DEFAULT_MIRROR,
    DEFAULT_PYTHON_PATHS,
    DEFAULT_TIMEOUTS,
    Config,
    ContainerOptions,
    Exclusion,
    FormulaSpec,
    Minion,
    Platform,
    Promotion,
    VerifyTests,
)
from saltline.config.schema import Location
from saltline.errors import ConfigError
from saltline.master_url import MasterAddress, parse_master_url


@dataclass(frozen=True)
class Locator:
    """Names file:line and key on an error: `saltline.yml:12: minions.web1.role: …`."""

    path: Path
    lines: dict[Location, int]

    def fail(self, at: Location, message: str) -> ConfigError:
        line = next((self.lines[at[:n]] for n in range(len(at), 0, -1) if at[:n] in self.lines), 1)
        return ConfigError(f"{self.path}:{line}: {'.'.join(at) or '(top level)'}: {message}")


def build(top: dict[str, Any], where: Locator) -> Config:
    """The model of a document that passed the schema; raises ConfigError, located."""
    salt_version = str(top["salt_version"])
    salt_versions = _salt_versions(top.get("salt_versions"), salt_version, where)
    masters, tested, pillarenvs = _environments(top["environments"], where)
    environments = tuple(masters)
    platforms = _platforms(top["platforms"], salt_versions, where)
    secrets = top.get("secrets") or {}
    roots, tops = top.get("roots", {}), top.get("top", {})
    return Config(
        path=where.path,
        salt_version=salt_version,
        platforms=platforms,
        minions=_minions(top["minions"], set(platforms), salt_versions, where),
        environments=environments,
        timeouts={**DEFAULT_TIMEOUTS, **top.get("timeouts", {})},
        test_environments=tested or environments[:1],  # `test: true`, else the first
        protected=_marked(top["environments"], "protected"),
        gpg_key=_key_file(secrets["gpg_key"], ("secrets", "gpg_key"), where)
        if "gpg_key" in secrets
        else None,
        master_keys=_master_keys(secrets.get("master_keys", {}), environments, where),
        ca_bundle=_ca_bundle(top.get("ca_bundle"), where),
        python_paths=tuple(top.get("lint", {}).get("python", DEFAULT_PYTHON_PATHS)),
        masters=masters,
        promotion=_promotion(top.get("promotion", {}), where),
        state_roots=_roots(roots, "states", "salt", where),
        pillar_roots=_roots(roots, "pillar", "pillar", where),
        state_top=tops.get("states"),
        pillar_top=tops.get("pillar"),
        pillar_files=_pillar_files(top.get("pillar_files", {}), where),
        formulas=_formulas(top.get("formulas", {})),
        tests=_tests(top.get("tests", {})),
        pillarenvs=pillarenvs,
        salt_versions=salt_versions,
        environment_signers=_environment_signers(top["environments"], where),
    )


def _salt_versions(value: Any, default: str, where: Locator) -> tuple[str, ...]:
    """The matrix's Salt versions, the default first; one per release line."""
    if value is None:
        return (default,)
    versions = [str(item) for item in value]
    if default not in versions:
        raise where.fail(("salt_versions",), f"does not list salt_version {default!r}, the default")
    lines = [version.split(".")[0] for version in versions]
    twice = sorted({line for line in lines if lines.count(line) > 1})
    if twice:
        said = f"two versions of Salt {', '.join(twice)}: list one per release line"
        raise where.fail(("salt_versions",), said)
    return (default, *(version for version in versions if version != default))


def _version_subset(
    value: list[Any], at: Location, versions: tuple[str, ...], where: Locator
) -> tuple[str, ...]:
    """Salt versions from the matrix, each named exactly or by its release line."""
    chosen = []
    for index, item in enumerate(value):
        found = [v for v in versions if str(item) in (v, v.split(".")[0])]
        if not found:
            raise where.fail(
                (*at, str(index)),
                f"{str(item)!r} is not in salt_versions; choose from {', '.join(versions)}",
            )
        chosen.append(found[0])
    return tuple(v for v in versions if v in chosen)


def _environments(
    value: Any, where: Locator
) -> tuple[dict[str, tuple[MasterAddress, ...]], tuple[str, ...], dict[str, str | None]]:
    """Environments in order, each with the masters promotion deploys to (maybe none),
    those marked `test: true`, and the pillarenv of those that name one."""
    if isinstance(value, list):
        return {str(name): () for name in value}, (), {}
    masters: dict[str, tuple[MasterAddress, ...]] = {}
    pillarenvs = {name: body["pillarenv"] for name, body in value.items()
                  if body and "pillarenv" in body}  # fmt: skip
    serving: dict[tuple[str, str, int], str] = {}  # a master → the environment it serves
    for name, body in value.items():
        addresses = []
        for index, url in enumerate((body or {}).get("masters", [])):
            at = ("environments", name, "masters", str(index))
            try:
                address = parse_master_url(url)
            except ValueError as exc:  # a port out of range: the pattern cannot say it
                raise where.fail(at, str(exc)) from None
            other = serving.setdefault((address.scheme, address.host, address.port), name)
            if other != name:
                raise where.fail(at, _shared_master(url, other, name))
            addresses.append(address)
        masters[name] = tuple(addresses)
    return masters, _marked(value, "test"), pillarenvs


def _marked(environments: Any, flag: str) -> tuple[str, ...]:
    """The environments marked `flag: true` (none when they are a plain list)."""
    if isinstance(environments, list):
        return ()
    return tuple(name for name, body in environments.items() if (body or {}).get(flag))


def _shared_master(url: str, first: str, second: str) -> str:
    return (
        f"{url} is a master of {first} too: a master serves one release (its "
        f"/srv/saltline/current), so promoting {second} would switch what {first} serves and "
        f"count as {first}'s rollout; give each environment masters of its own (a "
        "single-master shop separating environments by pillarenv needs one master per "
        "environment for saltline)"
    )


def _platforms(value: Any, versions: tuple[str, ...], where: Locator) -> dict[str, Platform]:
    for name, body in value.items():
        if body.get("salt") == "preinstalled" and body.get("packages"):
            raise where.fail(
                ("platforms", name, "packages"),
                "a golden image (salt: preinstalled) is used as it is: install them in it",
            )
    return {
        name: Platform(
            name=name,
            suite=body.get("suite", ""),
            image=body.get("image", f"debian:{body.get('suite')}"),
            mirror=body.get("mirror", DEFAULT_MIRROR),
            packages=tuple(body.get("packages", [])),
            salt_versions=()
            if body.get("salt") == "preinstalled"  # the image says which
            else _version_subset(
                body.get("salt_versions", []), ("platforms", name, "salt_versions"), versions, where
            ),
            container=_container(body.get("container", {})),
            preinstalled=body.get("salt") == "preinstalled",
        )
        for name, body in value.items()
    }


def _container(value: dict[str, Any]) -> ContainerOptions:
    return ContainerOptions(
        sysctls={key: str(setting) for key, setting in value.get("sysctls", {}).items()},
        cap_add=tuple(value.get("cap_add", ())),
        tmpfs=dict(value.get("tmpfs", {})),
        devices=tuple(value.get("devices", ())),
        security_opt=tuple(value.get("security_opt", ())),
        privileged=bool(value.get("privileged", False)),
    )


def _exclusions(value: list[dict[str, str]]) -> tuple[Exclusion, ...]:
    return tuple(
        Exclusion("id", item["id"], item["reason"]) if "id" in item
        else Exclusion("sls", item["sls"], item["reason"])
        for item in value
    )  # fmt: skip


def _minions(
    value: Any, platforms: set[str], versions: tuple[str, ...], where: Locator
) -> dict[str, Minion]:
    minions = {}
    for name, body in value.items():
        body = body or {}
        chosen = body.get("platforms", sorted(platforms))
        for index, platform in enumerate(chosen):
            if platform not in platforms:
                raise where.fail(
                    ("minions", name, "platforms", str(index)),
                    f"{platform!r} is not declared; choose from {', '.join(sorted(platforms))}",
                )
        minions[name] = Minion(
            name=name,
            roles=tuple(body.get("roles", ())),
            platforms=tuple(chosen),
            grains=body.get("grains", {}),
            salt_versions=_version_subset(
                body.get("salt_versions", []), ("minions", name, "salt_versions"), versions, where
            ),
            container=_container(body.get("container", {})),
            exclude=_exclusions(body.get("exclude", [])),
        )
    return minions


def _promotion(value: dict[str, Any], where: Locator) -> Promotion:
    paths = ("ssh_config", "allowed_signers")
    numbers = {key: number for key, number in value.items() if key not in paths}
    ssh_config = where.path.parent / value["ssh_config"] if "ssh_config" in value else None
    signers = value.get("allowed_signers")
    return Promotion(
        **numbers,
        ssh_config=ssh_config,
        allowed_signers=_file(signers, ("promotion", "allowed_signers"), where)
        if signers
        else None,
    )


def _environment_signers(value: Any, where: Locator) -> dict[str, Path]:
    if isinstance(value, list):
        return {}
    return {
        name: _file(body["allowed_signers"], ("environments", name, "allowed_signers"), where)
        for name, body in value.items()
        if body and "allowed_signers" in body
    }


def _file(value: str, at: Location, where: Locator) -> Path:
    path = (where.path.parent / value).resolve()
    if not path.is_file():
        raise where.fail(at, f"{path} is not a file")
    return path


def _roots(body: dict[str, Any], key: str, default: str, where: Locator) -> tuple[str, ...]:
    """Directories relative to the configuration's, each of which must exist."""
    if key not in body:  # the estate's own layout; a repository without pillar has none
        exists = (where.path.parent / default).is_dir()
        return (default,) if exists or key == "states" else ()
    for index, name in enumerate(body[key]):
        if not (where.path.parent / name).is_dir():
            raise where.fail(
                ("roots", key, str(index)), f"{name!r} is not a directory under {where.path.parent}"
            )
    return tuple(body[key])


def _pillar_files(value: dict[str, str], where: Locator) -> dict[str, str]:
    for name, path in value.items():
        if not (where.path.parent / path).is_file():
            raise where.fail(
                ("pillar_files", str(name)), f"{path!r} is not a file under {where.path.parent}"
            )
    return {str(name): path for name, path in value.items()}


def _formulas(value: dict[str, Any]) -> dict[str, FormulaSpec]:
    return {
        name: FormulaSpec(
            name=name,
            source=body["path"] if "path" in body else body["git"],
            ref=str(body["ref"]) if "ref" in body else None,
            local="path" in body,
        )
        for name, body in value.items()
    }


def _tests(value: dict[str, Any]) -> VerifyTests:
    return VerifyTests(
        testinfra=value.get("testinfra", VerifyTests.testinfra),
        golden=value.get("golden", VerifyTests.golden),
        suites={str(role): tuple(files) for role, files in value.get("suites", {}).items()},
        saltcheck=value.get("saltcheck", True),
        prediction=value.get("prediction", VerifyTests.prediction),
    )


def _master_keys(
    value: dict[str, str], environments: tuple[str, ...], where: Locator
) -> dict[str, Path]:
    at = ("secrets", "master_keys")
    for env in value:
        if env not in environments:
            raise where.fail((*at, str(env)), f"no environment named {env!r}")
    return {str(env): _key_file(path, (*at, str(env)), where) for env, path in value.items()}


def _key_file(value: str, at: Location, where: Locator) -> Path:
    path = (where.path.parent / value).resolve()
    if not path.is_file():
        raise where.fail(at, f"{path} is not a file (an ASCII-armored private key)")
    return path


def _ca_bundle(value: str | None, where: Locator) -> Path | None:
    if value is None:
        return None
    path = (where.path.parent / value).resolve()
    if not path.is_file():
        raise where.fail(("ca_bundle",), f"{path} is not a file (set it, or SALTLINE_CA_BUNDLE)")
    return path
