"""`saltline init` on repositories laid out the ways Salt teams lay them out."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from saltline import config
from saltline.adopt import config_writer, discovery
from saltline.adopt.top_targets import Representative, representative
from saltline.cli import main

MOTD = Path(__file__).resolve().parents[2] / "fixtures" / "motd-formula"


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def written(root: Path) -> config.Config:
    text = config_writer.render(discovery.discover(root))
    return config.parse(text, root / "saltline.yml")


def test_an_estate_with_a_master_config_roots_nodegroups_and_environments(tmp_path):
    write(tmp_path, {
        "etc/salt/master": "file_roots:\n  base: [/srv/states]\npillar_roots:\n"
                           "  base: [/srv/pillar]\nnodegroups:\n  dbs: 'G@roles:db'\n",
        "states/top.sls": "base:\n  'web*':\n    - web\n  dbs:\n    - match: nodegroup\n"
                          "    - db\n  'I@tier:cache':\n    - cache\n",
        "pillar/top.sls": "base:\n  '*': [common]\ndev:\n  '*': [dev]\nprod:\n  '*': [prod]\n",
        "tests/test_web.py": "def test_nginx(host):\n    assert host\n",
        ".yamllint": "extends: default\n",
    })  # fmt: skip
    found = discovery.discover(tmp_path)
    assert found.state_roots == ["states"]
    assert found.pillar_roots == ["pillar"]
    assert list(found.minions) == ["web1", "db1"]
    assert found.minions["db1"].roles == ("db",)
    assert found.unmatched == [
        "'I@tier:cache': matches on pillar (I@tier:cache), which a minion cannot be given "
        "before its pillar is rendered"
    ]
    assert found.environments == ["dev", "prod"]
    assert found.suites == {"*": ["tests/test_web.py"]}
    assert found.lint_files == [".yamllint"]
    cfg = written(tmp_path)
    assert cfg.state_roots == ("states",)
    assert cfg.test_environments == ("dev",)  # prod is not converged
    assert cfg.minions["db1"].roles == ("db",)


def test_a_formula_repository_gets_a_top_its_pillar_example_and_its_tests(tmp_path):
    repo = tmp_path / "motd-formula"
    shutil.copytree(MOTD, repo)
    cfg = written(repo)
    assert cfg.state_roots == (".",)
    assert cfg.state_top == {"base": {"*": ["motd"]}}
    assert cfg.pillar_top == {"base": {"*": ["motd"]}}
    assert cfg.pillar_files == {"motd": "pillar.example"}
    assert list(cfg.minions) == ["motd"]
    assert cfg.tests.suites == {"*": ("tests/test_motd.py",)}
    found = discovery.discover(repo)
    assert found.saltcheck == ["motd/saltcheck-tests/config.tst"]


def test_kitchen_suites_give_the_top_pillar_and_image_and_unreachable_formulas_stay_out(
    tmp_path,
):
    write(tmp_path, {
        "logrotate/init.sls": "include: [logrotate.config]\n",
        "pillar.example": "logrotate: {}\n",
        "kitchen.yml": yaml.safe_dump({
            "driver": {"name": "docker"},
            "suites": [{"name": "default", "provisioner": {
                "dependencies": [{"name": "cron", "repo": "git", "source": "https://x/cron"}],
                "state_top": {"base": {"*": ["logrotate._mapdata", "cron", "logrotate"]}},
                "pillars": {"top.sls": {"base": {"*": ["logrotate"]}}},
                "pillars_from_files": {"logrotate.sls": "pillar.example"},
            }}],
        }),
    })  # fmt: skip
    found = discovery.discover(tmp_path)
    assert found.state_top == {"base": {"*": ["logrotate._mapdata", "logrotate"]}}
    assert found.dependencies == {"cron": "https://x/cron"}
    assert found.pillar_files == {"logrotate": "pillar.example"}
    assert "openssh-server" in found.packages
    cfg = written(tmp_path)
    assert cfg.platforms["debian12"].packages == tuple(discovery.KITCHEN_DOCKER_PACKAGES)


def test_a_local_kitchen_dependency_is_a_state_root_and_its_states_stay_in_order(tmp_path):
    write(tmp_path, {
        "logrotate/init.sls": "include: [logrotate.config]\n",
        "test/salt/states/prerequisites.sls": "logrotate-dir:\n  file.directory:\n"
                                              "    - name: /etc/x\n",
        "kitchen.yml": yaml.safe_dump({
            "suites": [{"name": "default", "provisioner": {
                "dependencies": [{"name": "states", "path": "./test/salt/states"},
                                 {"name": "cron", "repo": "git", "source": "https://x/cron"}],
                "state_top": {"base": {"*": ["states.prerequisites", "cron", "logrotate"]}},
            }}],
        }),
    })  # fmt: skip
    found = discovery.discover(tmp_path)
    assert found.state_roots == [".", "test/salt"]
    assert found.state_top == {"base": {"*": ["states.prerequisites", "logrotate"]}}
    assert found.dependencies == {"cron": "https://x/cron"}  # only the remote one
    cfg = written(tmp_path)
    assert cfg.state_roots == (".", "test/salt")


def test_what_init_writes_passes_yamllint_defaults(tmp_path):
    yamllint = pytest.importorskip("yamllint.linter")
    from yamllint.config import YamlLintConfig

    shutil.copytree(MOTD, tmp_path / "motd")
    text = config_writer.render(discovery.discover(tmp_path / "motd"))
    problems = list(yamllint.run(text, YamlLintConfig("extends: default")))
    assert problems == []


def test_init_never_overwrites_without_force_and_ignores_saltlines_outputs(tmp_path, capsys):
    repo = tmp_path / "motd"
    shutil.copytree(MOTD, repo)
    (repo / ".gitignore").write_text("*.pyc")
    assert main(["-c", str(repo / "saltline.yml"), "init"]) == 0
    assert (repo / ".gitignore").read_text() == "*.pyc\n# saltline\n/reports/\n/.saltline/\n"
    assert "minion motd for target '*'" in capsys.readouterr().out
    assert main(["-c", str(repo / "saltline.yml"), "init"]) == 2
    assert "exists; `saltline init --force` overwrites it" in capsys.readouterr().err
    assert main(["-c", str(repo / "saltline.yml"), "init", "--force"]) == 0
    assert (repo / ".gitignore").read_text().count("/reports/") == 1


@pytest.mark.parametrize(
    ("target", "match", "expected"),
    [
        ("*", None, Representative("minion1", {}, ())),
        ("db?.lab.example", None, Representative("db1.lab.example", {}, ())),
        ("web[12]", None, Representative("web1", {}, ())),
        ("roles:web", "grain", Representative("web1", {}, ("web",))),
        ("web1,web2", "list", Representative("web1", {}, ())),
        ("G@os_family:Debian and G@env:prod", None, Representative("prod1", {"env": "prod"}, ())),
        ("G@ec2:tags:role:api", None,
         Representative("minion1", {"ec2": {"tags": {"role": "api"}}}, ())),
        ("web* and not G@env:prod", None, Representative("web1", {}, ())),
        ("I@x:y or db*", None, Representative("db1", {}, ())),
    ],
)  # fmt: skip
def test_top_targets_become_minions(target, match, expected):
    assert representative(target, match) == expected


@pytest.mark.parametrize(
    ("target", "match", "reason"),
    [
        ("G@os:Ubuntu", None, "needs grain os=Ubuntu; saltline's test platforms are Debian"),
        ("N@nope", None, "names nodegroup 'nope', which no master config"),
        ("^web\\d+$", "pcre", "matches ids by regular expression"),
        ("10.0.0.0/8", "ipcidr", "matches a subnet"),
    ],
)
def test_targets_no_test_minion_can_match_say_why(target, match, reason):
    result = representative(target, match)
    assert isinstance(result, str)
    assert result.startswith(reason)
