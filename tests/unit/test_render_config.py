"""The render stage's minion configurations: jobs side by side in one container share no
directory that salt-call creates at start (a concurrent salt-call exits when another one
created it first)."""

from __future__ import annotations

from pathlib import Path

import yaml

from saltline import config, layout
from saltline.pipeline import render

# What salt-call's start-up verifies and creates (salt.cli.call, salt.utils.verify).
CREATED_AT_START = ("cachedir", "extension_modules", "pki_dir", "sock_dir", "log_file")


def estate(root: Path) -> config.Config:
    for name, text in {
        "salt/top.sls": "base: {'*': [motd]}\n",
        "salt/motd.sls": "motd: {file.managed: [{name: /etc/motd}]}\n",
        "pillar/top.sls": "base: {}\n",
        "tests/infra/test_motd.py": "",
    }.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    (root / "saltline.yml").write_text(
        'salt_version: "3007.13"\nplatforms: {debian12: {suite: bookworm}}\n'
        "environments: {dev: {test: true}, prod: {}}\nminions: {web1: {}, db1: {}}\n"
    )
    return config.load(root / "saltline.yml")


def test_each_salt_call_has_directories_of_its_own(tmp_path):
    cfg = estate(tmp_path)
    jobs = render.jobs_for(cfg.targets(), cfg.environments)
    files = render._config_files(cfg, layout.resolve(cfg), jobs)
    configs = [yaml.safe_load(text) for job in jobs for _, text in files[job.key]]
    assert len(configs) == 2 * len(jobs) == 8
    for option in CREATED_AT_START:
        paths = [document[option] for document in configs]
        assert len(set(paths)) == len(paths), (option, paths)
    for (path, text) in (entry for job in jobs for entry in files[job.key]):
        directory = "/" + path.removesuffix("/minion")
        document = yaml.safe_load(text)
        assert all(document[o].startswith(directory + "/") for o in CREATED_AT_START), path
