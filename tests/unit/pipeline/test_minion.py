from __future__ import annotations

import dataclasses
from pathlib import Path

import yaml

from saltline.config import Config, Minion, Platform, Target
from saltline.engine.images import Images, digest
from saltline.estate.layout import Layout, Root
from saltline.pipeline.minion import minion_config

LAYOUT = Layout(
    states=(Root(Path("/x/salt"), "/srv/salt/0", "salt", True),
            Root(Path("/cache/users"), "/srv/salt/1", "formula users", False)),
    pillar=(Root(Path("/x/pillar"), "/srv/pillar/0", "pillar", True),),
    pillarenvs={"dev": "dev", "staging": "staging"},
    formula_commits={},
)  # fmt: skip


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
    target = Target(minion, platform, "staging", "3007.13")
    document = yaml.safe_load(minion_config(target, config, LAYOUT))
    assert document["id"] == "db1"
    assert document["file_client"] == "local"
    assert document["pillarenv"] == "staging"
    assert document["file_roots"] == {"base": ["/srv/salt/0", "/srv/salt/1"]}
    roots = ["/srv/pillar/0"]
    assert document["pillar_roots"] == {"base": roots, "dev": roots, "staging": roots}
    assert document["grains"] == {
        "datacenter": "lab",
        "roles": ["db"],
        "saltline_environment": "staging",
        "saltline_platform": "debian12",
    }
    assert document["gpg_decrypt_must_succeed"] is True  # a secret that cannot be read fails
    base_only = dataclasses.replace(LAYOUT, pillarenvs={"dev": None, "staging": None})
    assert "pillarenv" not in yaml.safe_load(minion_config(target, config, base_only))


def test_the_image_hash_changes_with_any_input():
    base = digest("sha256:aa", "FROM x", b"salt==3007.13", b"")
    assert base == digest("sha256:aa", "FROM x", b"salt==3007.13", b"")
    assert base != digest("sha256:ab", "FROM x", b"salt==3007.13", b"")
    assert base != digest("sha256:aa", "FROM x", b"salt==3007.13", b"CA")
    assert digest("ab", "c") != digest("a", "bc")  # parts are delimited


def test_a_platform_with_packages_has_an_image_of_its_own(tmp_path):
    plain = Platform("debian12", "bookworm", "debian:bookworm")
    packed = dataclasses.replace(plain, packages=("sudo", "openssh-server"))
    config = Config(tmp_path / "saltline.yml", "3007.13", {"debian12": plain}, {}, ("dev",), {})
    images = Images(None, config)  # type: ignore[arg-type]  # tags need no engine
    assert images.minion_tag(plain, "3007.13") == "saltline/minion:debian12-salt3007.13"
    assert images.minion_tag(packed, "3007.13").startswith("saltline/minion:debian12-salt3007.13-")
    other = dataclasses.replace(plain, packages=("curl",))
    assert images.minion_tag(packed, "3007.13") != images.minion_tag(other, "3007.13")
