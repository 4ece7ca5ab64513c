"""Where the Salt code is: roots in order, generated tops, pillarenv per environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from saltline import config
from saltline.errors import ConfigError
from saltline.estate import layout


@pytest.fixture(autouse=True)
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("SALTLINE_CACHE", str(tmp_path / "cache"))


def estate(root: Path, extra: str = "", files: dict[str, str] | None = None) -> config.Config:
    for name, text in {"salt/top.sls": "base: {'*': [web]}\n", **(files or {})}.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    (root / "saltline.yml").write_text(
        'salt_version: "3007.13"\nplatforms: {debian12: {suite: bookworm}}\n'
        "environments: {dev: {test: true}, prod: {}}\nminions: {web1: {}}\n" + extra
    )
    return config.load(root / "saltline.yml")


def test_each_environment_uses_its_pillar_top_section_else_salts_default(tmp_path):
    cfg = estate(tmp_path, files={"pillar/top.sls": "base: {'*': [a]}\ndev: {'*': [b]}\n"})
    assert layout.resolve(cfg).pillarenvs == {"dev": "dev", "prod": None}


def test_a_said_pillarenv_wins(tmp_path):
    cfg = estate(tmp_path, files={"pillar/top.sls": "dev: {'*': [b]}\n"})
    assert layout.resolve(cfg).pillarenvs["dev"] == "dev"
    text = cfg.path.read_text().replace("dev: {test: true}", "dev: {test: true, pillarenv: base}")
    said = config.parse(text, cfg.path)
    assert layout.resolve(said).pillarenvs == {"dev": "base", "prod": None}


def test_generated_tops_come_first_and_pillar_files_are_copied(tmp_path):
    (tmp_path / "pillar.example").write_text("motd: {message: hi}\n")
    cfg = estate(
        tmp_path,
        "roots: {states: [salt], pillar: []}\n"
        "pillar_files: {motd: pillar.example}\n"
        "top: {pillar: {base: {'*': [motd]}}}\n",
    )
    resolved = layout.resolve(cfg)
    assert [root.shown for root in resolved.pillar] == [layout.GENERATED]
    assert [root.mount for root in resolved.states] == ["/srv/salt/0", "/srv/salt/1"]
    generated = resolved.pillar[0].host
    assert (generated / "motd.sls").read_text() == "motd: {message: hi}\n"
    assert "motd" in (generated / "top.sls").read_text()
    assert resolved.find("motd.sls", pillar=True) == generated / "motd.sls"


def test_a_top_in_saltline_yml_and_one_in_the_repository_is_an_error(tmp_path):
    cfg = estate(tmp_path, "top: {states: {base: {'*': [web]}}}\n")
    with pytest.raises(ConfigError, match=r"top.states: the repository has its own top file"):
        layout.resolve(cfg)


def test_a_missing_state_root_says_how_to_name_it(tmp_path):
    cfg = estate(tmp_path)
    (tmp_path / "salt" / "top.sls").unlink()
    (tmp_path / "salt").rmdir()
    with pytest.raises(ConfigError, match=r"no state root salt/ .* `roots.states`"):
        layout.resolve(cfg)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("roots: {states: [nowhere]}\n", "roots.states.0: 'nowhere' is not a directory"),
        ("formulas: {users: {ref: v1}}\n", "formulas.users: give either `git: URL`"),
        ("pillar_files: {motd: gone.example}\n", "pillar_files.motd: 'gone.example' is not"),
        ("tests: {saltcheck: maybe}\n", "tests.saltcheck: expected true or false"),
        ("top: {states: {base: {'*': web}}}\n", "top.states.base.*: expected a list of SLS"),
    ],
)
def test_mistakes_in_the_new_keys_name_file_line_and_key(tmp_path, extra, message):
    with pytest.raises(ConfigError, match=message.replace("*", r"\*").replace("(", r"\(")):
        estate(tmp_path, extra)
