"""The JSON Schema shipped for editors agrees with the loader on what a valid file is."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import jsonschema
import pytest
import yaml

from saltline import config
from saltline.errors import ConfigError

REPO = Path(__file__).resolve().parents[2]
SCHEMA = json.loads(resources.files("saltline.data").joinpath("saltline.schema.json").read_text())
VALID = """\
salt_version: "3007.13"
platforms: {debian12: {suite: bookworm}}
environments: {dev: {test: true}, prod: {masters: ["ssh://deploy@[::1]:2222"]}}
minions: {web1: {roles: [web], grains: {tier: front}}}
promotion: {batch_size: 2}
"""


def test_the_schema_is_a_valid_schema():
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


@pytest.mark.parametrize(
    "path",
    [REPO / "saltline.yml", REPO / "tests/e2e/estate/saltline.yml",
     REPO / "tests/fixtures/render-errors/saltline.yml"],
    ids=lambda p: str(p.relative_to(REPO)),
)  # fmt: skip
def test_the_projects_own_configurations_validate(path):
    jsonschema.validate(yaml.safe_load(path.read_text()), SCHEMA)
    config.load(path)


@pytest.mark.parametrize(
    "change",
    [
        {"colour": "blue"},
        {"minions": {"web1": {"role": ["web"]}}},
        {"minions": {"Web1": {"roles": ["web"]}}},
        {"platforms": {"debian12": {"image": "debian:bookworm"}}},
        {"environments": {"prod": {"masters": ["salt1.example.net"]}}},
        {"promotion": {"batch_size": 0}},
        {"timeouts": {"apply": 30}},
        {"salt_version": "latest"},
        {"formulas": {"users": {"ref": "v1"}}},
        {"roots": {"states": []}},
        {"platforms": {"debian12": {"suite": "bookworm", "packages": ["Bad Name"]}}},
        {"tests": {"suites": {"web": []}}},
    ],
)
def test_schema_and_loader_reject_the_same_mistakes(tmp_path, change):
    document = {**yaml.safe_load(VALID), **change}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(document, SCHEMA)
    path = tmp_path / "saltline.yml"
    path.write_text(yaml.safe_dump(document))
    with pytest.raises(ConfigError):
        config.load(path)


def test_the_example_is_valid_for_both(tmp_path):
    jsonschema.validate(yaml.safe_load(VALID), SCHEMA)
    (tmp_path / "saltline.yml").write_text(VALID)
    config.load(tmp_path / "saltline.yml")
