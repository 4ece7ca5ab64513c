from __future__ import annotations

import yaml

from saltline.config import Config, Minion, Platform, Target
from saltline.engine.images import digest
from saltline.pipeline.minion import minion_config


def test_the_minion_config_sets_id_roots_grains_and_pillarenv(tmp_path):
    platform = Platform("debian12", "bookworm", "debian:bookworm")
    minion = Minion("db1", ("db",), ("debian12",), grains={"datacenter": "lab"})
    config = Config(
        tmp_path / "saltline.yml",
        "3007.13",
        {"debian12": platform},
        {"db1": minion},
        ("dev", "staging"),
        {"converge": 1, "verify": 1},
    )
    document = yaml.safe_load(minion_config(Target(minion, platform, "staging"), config))
    assert document["id"] == "db1"
    assert document["file_client"] == "local"
    assert document["pillarenv"] == "staging"
    assert document["pillar_roots"] == {"dev": ["/srv/pillar"], "staging": ["/srv/pillar"]}
    assert document["grains"] == {
        "datacenter": "lab",
        "roles": ["db"],
        "saltline_environment": "staging",
        "saltline_platform": "debian12",
    }
    assert document["gpg_decrypt_must_succeed"] is True  # a secret that cannot be read fails


def test_the_image_hash_changes_with_any_input():
    base = digest("sha256:aa", "FROM x", b"salt==3007.13", b"")
    assert base == digest("sha256:aa", "FROM x", b"salt==3007.13", b"")
    assert base != digest("sha256:ab", "FROM x", b"salt==3007.13", b"")
    assert base != digest("sha256:aa", "FROM x", b"salt==3007.13", b"CA")
    assert digest("ab", "c") != digest("a", "bc")  # parts are delimited
