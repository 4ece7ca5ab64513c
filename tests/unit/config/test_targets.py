"""The platform × Salt-version matrix: what saltline.yml names and what a run narrows to."""

from __future__ import annotations

import pytest

from saltline import config
from saltline.errors import ConfigError

MATRIX = """\
salt_version: "3007.13"
salt_versions: ["3006.25", "3007.13", "3008.3"]
platforms:
  debian12: {suite: bookworm}
  debian13: {suite: trixie, salt_versions: ["3007"]}
environments:
  dev: {test: true}
minions:
  web1: {roles: [web]}
  db1: {roles: [db], salt_versions: ["3007.13"]}
"""


def keys(targets: list[config.Target]) -> list[str]:
    return [target.key for target in targets]


def test_a_target_is_minion_platform_salt_version_and_environment(write_config):
    cfg = config.load(write_config(MATRIX))
    assert cfg.matrix_salt_versions == ("3007.13", "3006.25", "3008.3")  # the default first
    assert keys(cfg.targets()) == [
        "dev/web1@debian12/salt3007.13",
        "dev/web1@debian12/salt3006.25",
        "dev/web1@debian12/salt3008.3",
        "dev/web1@debian13/salt3007.13",
        "dev/db1@debian12/salt3007.13",
        "dev/db1@debian13/salt3007.13",
    ]


def test_a_run_narrows_by_platform_and_salt_version_or_release_line(write_config):
    cfg = config.load(write_config(MATRIX))
    assert keys(cfg.targets(platform="debian12", salt="3008")) == ["dev/web1@debian12/salt3008.3"]
    assert keys(cfg.targets(salt="3006.25")) == ["dev/web1@debian12/salt3006.25"]
    assert keys(cfg.targets(platform=cfg.default_platform, salt="default")) == [
        "dev/web1@debian12/salt3007.13",
        "dev/db1@debian12/salt3007.13",
    ]
    with pytest.raises(
        ConfigError, match=r"no Salt version '3009' in the matrix; configured: 3007"
    ):
        cfg.targets(salt="3009")
    with pytest.raises(ConfigError, match="no platform named 'debian14'"):
        cfg.targets(platform="debian14")


def test_groups_and_shards_keep_a_cell_together(write_config):
    cfg = config.load(write_config(MATRIX))
    first, second = cfg.targets(shard=(1, 2)), cfg.targets(shard=(2, 2))
    assert not set(keys(first)) & set(keys(second))
    assert set(keys(first)) | set(keys(second)) == set(keys(cfg.targets()))
    for group in {target.group for target in cfg.targets()}:
        members = {target.key for target in cfg.targets() if target.group == group}
        assert members <= set(keys(first)) or members <= set(keys(second))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ('salt_versions: ["3006.25", "3007.13", "3008.3"]', None),
        ('salt_versions: ["3006.25", "3008.3"]', "does not list salt_version '3007.13'"),
        ('salt_versions: ["3007.13", "3007.12"]', "two versions of Salt 3007"),
        ('salt_versions: ["3007.13", "latest"]', "salt_versions.1"),
    ],
)
def test_salt_versions_are_checked(write_config, change, message):
    text = MATRIX.replace('salt_versions: ["3006.25", "3007.13", "3008.3"]', change)
    if message is None:
        config.load(write_config(text))
    else:
        with pytest.raises(ConfigError, match=message):
            config.load(write_config(text))


def test_a_platform_or_minion_names_versions_of_the_matrix_only(write_config):
    text = MATRIX.replace('salt_versions: ["3007"]}', 'salt_versions: ["3005"]}')
    with pytest.raises(
        ConfigError, match=r":5: platforms\.debian13\.salt_versions\.0: '3005' is not in"
    ):
        config.load(write_config(text))


def test_a_golden_platform_is_tested_with_the_salt_its_image_has(write_config):
    text = MATRIX.replace(
        '  debian13: {suite: trixie, salt_versions: ["3007"]}\n',
        '  debian13: {suite: trixie, salt_versions: ["3007"]}\n'
        "  golden: {salt: preinstalled, image: registry.example/ops/debian12-salt:2026.11}\n",
    )
    cfg = config.load(write_config(text))
    [golden] = cfg.golden_platforms
    assert golden.preinstalled and golden.suite == ""
    resolved = cfg.with_preinstalled({"golden": "3006.9"})  # as read from the image
    assert keys(resolved.targets(platform="golden")) == ["dev/web1@golden/salt3006.9"]
    # the other platforms keep exactly the versions they had
    assert keys(resolved.targets(platform="debian12")) == keys(cfg.targets(platform="debian12"))
    assert resolved.salt_versions == ("3007.13", "3006.25", "3008.3", "3006.9")


def test_a_golden_platform_names_its_image(write_config):
    text = MATRIX.replace("  debian12: {suite: bookworm}\n", "  golden: {salt: preinstalled}\n")
    with pytest.raises(ConfigError, match=r"platforms\.golden: missing required key 'image'"):
        config.load(write_config(text))


def test_a_golden_platform_takes_no_packages(write_config):
    text = MATRIX.replace("  debian12: {suite: bookworm}\n",
                          "  ops: {salt: preinstalled, image: x, packages: [tree]}\n")  # fmt: skip
    with pytest.raises(ConfigError, match=r"platforms\.ops\.packages: a golden image"):
        config.load(write_config(text))
