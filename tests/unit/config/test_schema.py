"""The shipped JSON Schema is what validates saltline.yml: each of its keywords' errors is
worded as a user would want it, at the file:line of the key."""

from __future__ import annotations

from pathlib import Path

import jsonschema
import pytest

from saltline import config
from saltline.data import SCHEMA
from saltline.errors import ConfigError

REPO = Path(__file__).resolve().parents[3]
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
    [
        REPO / "saltline.yml",
        REPO / "tests/e2e/estate/saltline.yml",
        REPO / "tests/fixtures/render-errors/saltline.yml",
    ],
    ids=lambda p: str(p.relative_to(REPO)),
)
def test_the_projects_own_configurations_load(path):
    config.load(path)


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ("colour: blue\n", r":6: colour: unknown key; allowed: ca_bundle, environments, "),
        (
            "tests: {goldens: x}\n",
            r"tests\.goldens: unknown key; allowed: golden, prediction, saltcheck",
        ),
        ("timeouts: {apply: 30}\n", r"timeouts\.apply: unknown key; allowed: converge, render"),
        (
            "promotion: {batch_size: 0}\n",
            r"promotion\.batch_size: expected a positive whole "
            r"number, got 0",
        ),
        ("promotion: {candidate_port: 70000}\n", r"candidate_port: expected a whole number"),
        ("tests: {saltcheck: maybe}\n", r"tests\.saltcheck: expected true or false, got 'maybe'"),
        ("formulas: {Users: {git: x}}\n", r"formulas\.Users: 'Users' is not a valid name"),
        ("formulas: {users: {git: x, path: y}}\n", r"formulas\.users: give either `git: URL`"),
        ("formulas: {users: {ref: v1}}\n", r"formulas\.users: give either `git: URL`"),
        ("roots: {states: []}\n", r"roots\.states: expected a non-empty list"),
        ('lint: {python: [""]}\n', r"lint\.python\.0: expected a non-empty string"),
        ("top: {states: {base: {'*': web}}}\n", r"top\.states\.base\.\*: expected a list of SLS"),
        (
            "promotion: {unreachable: ignore}\n",
            r"promotion\.unreachable: expected fail or skip, "
            r"got 'ignore'",
        ),
    ],
)
def test_each_schema_keyword_is_worded_at_its_key(tmp_path, extra, expected):
    path = tmp_path / "saltline.yml"
    path.write_text(VALID + extra)
    with pytest.raises(ConfigError, match=expected) as raised:
        config.load(path)
    assert str(raised.value).startswith(f"{path}:6: ")


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            '"ssh://deploy@[::1]:2222"',
            "salt1.example.net",
            r":3: environments\.prod\.masters\.0: 'salt1\.example\.net' is not a master URL; "
            r"expected ssh://user@host\[:port\] or docker://name",
        ),
        (
            "debian12: {suite: bookworm}",
            "debian12: {image: debian}",
            r":2: platforms\.debian12: missing required key 'suite'",
        ),
        (
            "{debian12: {suite: bookworm}}",
            "{}",
            r":2: platforms: expected a non-empty mapping "
            r"of platform name to",
        ),
        ('"3007.13"', "latest", r":1: salt_version: 'latest' does not match"),
    ],
)
def test_values_inside_flow_mappings_are_located_too(tmp_path, old, new, expected):
    path = tmp_path / "saltline.yml"
    path.write_text(VALID.replace(old, new, 1))
    with pytest.raises(ConfigError, match=expected):
        config.load(path)


def test_the_master_url_rule_is_the_schemas():
    """master_url parses what the schema's pattern admits: the rule is written once."""
    assert SCHEMA["$defs"]["master_url"]["pattern"].startswith("^(ssh://")
    path = Path("saltline.yml")
    for url in ("docker://x", "ssh://deploy@salt1:2222", "ssh://deploy@[::1]"):
        text = VALID.replace('"ssh://deploy@[::1]:2222"', f'"{url}"')
        assert str(config.parse(text, path).masters["prod"][0]) == url
