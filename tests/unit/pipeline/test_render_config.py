"""The render stage's minion configurations: jobs side by side in one container share no
directory that salt-call creates at start (a concurrent salt-call exits when another one
created it first)."""

from __future__ import annotations

from pathlib import Path

import yaml

from saltline import config
from saltline.estate import layout
from saltline.pipeline import render

REPO = Path(__file__).resolve().parents[3]
# What salt-call's start-up verifies and creates (salt.cli.call, salt.utils.verify).
CREATED_AT_START = ("cachedir", "extension_modules", "pki_dir", "sock_dir", "log_file")


def test_each_salt_call_has_directories_of_its_own():
    cfg = config.load(REPO / "saltline.yml")  # the reference estate: every cell × environment
    jobs = render.jobs_for(cfg.targets(), cfg.environments)
    files = render._config_files(cfg, layout.resolve(cfg), jobs)
    written = [entry for job in jobs for entry in files[job.key]]
    assert len(written) == 2 * len(jobs) > 2
    documents = [yaml.safe_load(text) for _, text in written]
    for option in CREATED_AT_START:
        paths = [document[option] for document in documents]
        assert len(set(paths)) == len(paths), (option, paths)
    for (path, _), document in zip(written, documents, strict=True):
        directory = "/" + path.removesuffix("/minion")
        assert all(document[o].startswith(directory + "/") for o in CREATED_AT_START), path
