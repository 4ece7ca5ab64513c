"""Load `saltline.yml`: YAML with the line of every key, the shipped schema, then what a
schema cannot say (`checks`). Every error names the file, the line and the key:

    saltline.yml:12: minions.web1.role: unknown key; allowed: grains, platforms, roles

Loading reads the file and the paths it names, nothing else (not the environment:
`with_environment` applies it where the CLI asks for it).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from saltline.config import checks, schema
from saltline.config.model import CONFIG_NAME, Config
from saltline.config.schema import Location
from saltline.errors import ConfigError


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
        document, lines = _document(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"{where}: invalid YAML: {problem}") from None
    locator = checks.Locator(path, lines)
    error = schema.first_error(document)
    if error is not None:
        raise locator.fail(*error)
    return checks.build(document, locator)


def with_environment(config: Config, environ: Mapping[str, str]) -> Config:
    """`config` with what this machine's environment gives: a CA bundle over the file's
    (SALTLINE_CA_BUNDLE, a corporate proxy's) and the key passes and rollouts are signed
    with (SALTLINE_SIGNING_KEY: only a protected branch's CI job holds one)."""

    def given(variable: str) -> Path | None:
        if not environ.get(variable):
            return None
        path = (config.root / environ[variable]).resolve()
        if not path.is_file():
            raise ConfigError(f"{variable}: {path} is not a file")
        return path

    return dataclasses.replace(
        config,
        ca_bundle=given("SALTLINE_CA_BUNDLE") or config.ca_bundle,
        signing_key=given("SALTLINE_SIGNING_KEY") or config.signing_key,
    )


def _document(text: str) -> tuple[Any, dict[Location, int]]:
    """The YAML document, and the line (1-based) of every mapping key by its path."""
    node = yaml.compose(text, Loader=yaml.SafeLoader)
    lines: dict[Location, int] = {}

    def walk(item: yaml.Node, path: Location) -> None:
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
