from __future__ import annotations

import argparse

import pytest

from saltline import config
from saltline.cli import arguments
from saltline.errors import ConfigError

VALID_CONFIG = """\
salt_version: "3007.13"
platforms:
  debian12:
    suite: bookworm
environments:
  dev: {test: true}
  staging: {test: true}
  prod: {}
minions:
  web1:
    roles: [web]
  db1:
    roles: [db, backup]
    grains:
      datacenter: lab
"""


def test_a_valid_config_loads_with_defaults(write_config):
    cfg = config.load(write_config(VALID_CONFIG))
    assert cfg.salt_version == "3007.13"
    assert cfg.platforms["debian12"].image == "debian:bookworm"
    assert cfg.minions["db1"].roles == ("db", "backup")
    assert cfg.minions["db1"].grains == {"datacenter": "lab"}
    assert cfg.minions["web1"].platforms == ("debian12",)
    assert cfg.environments == ("dev", "staging", "prod")
    assert cfg.test_environments == ("dev", "staging")
    assert cfg.timeouts == {"render": 300, "converge": 900, "verify": 600}
    assert cfg.gpg_key is None


def test_targets_are_minion_by_platform_by_tested_environment(write_config):
    cfg = config.load(write_config(VALID_CONFIG))
    assert [t.key for t in cfg.targets()] == [
        "dev/web1@debian12/salt3007.13",
        "dev/db1@debian12/salt3007.13",
        "staging/web1@debian12/salt3007.13",
        "staging/db1@debian12/salt3007.13",
    ]
    assert [t.key for t in cfg.targets(["db1"])] == [
        "dev/db1@debian12/salt3007.13",
        "staging/db1@debian12/salt3007.13",
    ]
    assert [t.key for t in cfg.targets(environment="staging")] == [
        "staging/web1@debian12/salt3007.13",
        "staging/db1@debian12/salt3007.13",
    ]
    with pytest.raises(ConfigError, match="environment 'prod' is not tested; tested"):
        cfg.targets(environment="prod")


def test_without_a_tested_environment_the_first_one_is_tested(write_config):
    cfg = config.load(write_config(VALID_CONFIG.replace(" {test: true}", " {}")))
    assert cfg.test_environments == ("dev",)
    assert [t.key for t in cfg.targets()] == [
        "dev/web1@debian12/salt3007.13",
        "dev/db1@debian12/salt3007.13",
    ]


def test_the_gpg_key_must_exist(write_config, tmp_path):
    with pytest.raises(ConfigError, match=r":\d+: secrets\.gpg_key: .*test\.asc is not a file"):
        config.load(write_config(VALID_CONFIG + "secrets: {gpg_key: keys/test.asc}\n"))
    (tmp_path / "keys").mkdir()
    (tmp_path / "keys" / "test.asc").write_text("-----BEGIN PGP PRIVATE KEY BLOCK-----\n")
    cfg = config.load(write_config(VALID_CONFIG + "secrets: {gpg_key: keys/test.asc}\n"))
    assert cfg.gpg_key == tmp_path / "keys" / "test.asc"


@pytest.mark.parametrize(
    ("minions", "platform", "expected"),
    [(["nope"], None, "no minion named 'nope'"), ([], "arch", "no platform named 'arch'")],
)
def test_unknown_target_names_are_errors(write_config, minions, platform, expected):
    cfg = config.load(write_config(VALID_CONFIG))
    with pytest.raises(ConfigError, match=expected):
        cfg.targets(minions, platform)


def test_missing_file_names_the_path(tmp_path):
    with pytest.raises(ConfigError, match=r"saltline\.yml: file not found"):
        config.load(tmp_path / "saltline.yml")


def test_find_walks_up_and_explains_when_nothing_is_found(tmp_path, write_config):
    path = write_config(VALID_CONFIG)
    nested = tmp_path / "salt" / "nginx"
    nested.mkdir(parents=True)
    assert config.find(nested) == path
    path.unlink()
    with pytest.raises(ConfigError, match="name the file with `-c PATH`"):
        config.find(nested)


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "    roles: [web]\n",
            "    roles: [web]\n    role: web\n",
            r":12: minions\.web1\.role: unknown key",
        ),
        (
            "  dev: {test: true}\n",
            "  dev: {test: yes please}\n",
            r":6: environments\.dev\.test: expected true or false",
        ),
        ('salt_version: "3007.13"', "salt_version: latest", r":1: salt_version: 'latest' does not"),
        (
            "    roles: [web]\n",
            "    roles: []\n",
            r":11: minions\.web1\.roles: expected a non-empty list",
        ),
        (
            "    suite: bookworm\n",
            "    image: debian:bookworm\n",
            r":3: platforms\.debian12: missing required key 'suite'",
        ),
        ("minions:\n", "minionz:\n", r":9: minionz: unknown key"),
        (
            "  prod: {}\n",
            "  prod: {masterz: []}\n",
            r":8: environments\.prod\.masterz: unknown key",
        ),
    ],
)
def test_invalid_configs_name_file_line_and_key(write_config, old, new, expected):
    text = config_text(old, new)
    path = write_config(text)
    with pytest.raises(ConfigError, match=expected) as raised:
        config.load(path)
    assert str(raised.value).startswith(str(path))


def test_invalid_yaml_names_the_line(write_config):
    path = write_config(config_text("  web1:\n", "  web1: [\n"))
    with pytest.raises(ConfigError, match=r"saltline\.yml:\d+: invalid YAML"):
        config.load(path)


def test_a_missing_ca_bundle_is_an_error(write_config):
    path = write_config(config_text("", "") + "ca_bundle: certs/corp.pem\n")
    with pytest.raises(ConfigError, match=r"ca_bundle: .*corp\.pem is not a file"):
        config.load(path)


def test_the_ca_bundle_can_come_from_the_environment(write_config, tmp_path, monkeypatch):
    bundle = tmp_path / "corp.pem"
    bundle.write_text("-----BEGIN CERTIFICATE-----\n")
    monkeypatch.setenv("SALTLINE_CA_BUNDLE", str(bundle))
    path = write_config(VALID_CONFIG)
    assert config.load(path).ca_bundle is None  # loading reads no environment
    assert arguments.load(argparse.Namespace(config=path)).ca_bundle == bundle
    monkeypatch.setenv("SALTLINE_CA_BUNDLE", str(tmp_path / "gone.pem"))
    with pytest.raises(ConfigError, match=r"SALTLINE_CA_BUNDLE: .*gone\.pem is not a file"):
        arguments.load(argparse.Namespace(config=path))


def config_text(old: str, new: str) -> str:
    assert old in VALID_CONFIG
    return VALID_CONFIG.replace(old, new, 1)


def test_shards_split_the_targets_without_overlap(write_config):
    cfg = config.load(write_config(VALID_CONFIG))
    everything = [t.key for t in cfg.targets()]
    parts = [[t.key for t in cfg.targets(shard=(i, 2))] for i in (1, 2)]
    # Whole groups (environment × platform): minions that talk to each other stay together.
    assert parts == [
        ["dev/web1@debian12/salt3007.13", "dev/db1@debian12/salt3007.13"],
        ["staging/web1@debian12/salt3007.13", "staging/db1@debian12/salt3007.13"],
    ]
    assert sorted(parts[0] + parts[1]) == sorted(everything)
    assert [t.key for t in cfg.targets(shard=(3, 3))] == []


def test_masters_and_promotion_settings(write_config):
    text = (
        VALID_CONFIG.replace(
            "  prod: {}\n",
            '  staging: {masters: ["docker://stg"]}\n  prod: {masters: ["ssh://deploy@salt1:2222"]}\n',
        )
        + "promotion: {batch_size: 3}\n"
    )
    cfg = config.load(write_config(text))
    assert cfg.environments == ("dev", "staging", "prod")
    assert cfg.promotion_order == ("staging", "prod")
    assert cfg.masters["prod"][0].port == 2222
    assert (cfg.promotion.batch_size, cfg.promotion.keep_releases) == (3, 5)


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (
            "promotion: {batch_size: 0}\n",
            r":\d+: promotion\.batch_size: expected a positive whole number",
        ),
        ("promotion: {batches: 2}\n", r":\d+: promotion\.batches: unknown key"),
        (
            "timeouts: {converge: fast}\n",
            r":\d+: timeouts\.converge: expected a positive whole number",
        ),
    ],
)
def test_bad_promotion_and_timeout_settings_are_named(write_config, extra, expected):
    with pytest.raises(ConfigError, match=expected):
        config.load(write_config(VALID_CONFIG + extra))


def test_a_bad_master_url_names_its_line(write_config):
    text = VALID_CONFIG.replace("  prod: {}\n", "  prod:\n    masters: [salt1.example.net]\n")
    with pytest.raises(
        ConfigError, match=r":9: environments\.prod\.masters\.0: 'salt1\.example\.net' is not"
    ):
        config.load(write_config(text))


@pytest.mark.parametrize(
    ("staging", "prod"),
    [("docker://salt", "docker://salt"), ("ssh://deploy@salt1:22", "ssh://ops@salt1")],
)
def test_one_master_in_two_environments_is_refused_naming_both(write_config, staging, prod):
    """Promoting staging would switch prod's release and write the record prod's gate
    reads: a master serves one environment."""
    text = VALID_CONFIG.replace(
        "  prod: {}\n", f'  staging: {{masters: ["{staging}"]}}\n  prod: {{masters: ["{prod}"]}}\n'
    )
    with pytest.raises(
        ConfigError, match=r":9: environments\.prod\.masters\.0: .* is a master of staging too"
    ):
        config.load(write_config(text))
