"""A stored render is reused only while nothing it depends on changed."""

from __future__ import annotations

from pathlib import Path

import pytest

from saltline import config
from saltline.pipeline import render_cache
from saltline.pipeline.impact import RenderedView
from saltline.pipeline.selection import Used

WEB = Used(sls={"nginx", "nginx.config"}, sources={"nginx/files/site.conf"}, pillar={"web"})
DB = Used(sls={"postgres"}, pillar={"db"})


def estate(root: Path) -> config.Config:
    files = {
        "salt/top.sls": "base: {'*': [nginx]}\n",
        "salt/nginx/init.sls": "nginx: {pkg.installed: []}\n",
        "salt/nginx/config.sls": "{}\n",
        "salt/nginx/files/site.conf": "server {}\n",
        "salt/nginx/map.jinja": "{% set nginx = {} %}\n",
        "salt/postgres/init.sls": "{}\n",
        "pillar/top.sls": "base: {'*': [web]}\n",
        "pillar/web.sls": "port: 80\n",
        "pillar/db.sls": "port: 5432\n",
        "tests/golden/dev/web1.debian12.yaml": "pillar: {}\n",
        "tests/infra/test_web.py": "",
    }
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    (root / "saltline.yml").write_text(
        'salt_version: "3007.13"\nplatforms: {debian12: {suite: bookworm}}\n'
        "environments: {dev: {test: true}}\nminions: {web1: {}, db1: {}}\n"
    )
    return config.load(root / "saltline.yml")


VIEW = RenderedView({}, {"site|file|/etc/site": "listen 80\n"}, {"port": 80})


@pytest.fixture
def stored(tmp_path):
    cfg = estate(tmp_path)
    web, db = sorted(cfg.targets(), key=lambda target: target.minion.name != "web1")
    files = render_cache.estate_files(cfg)
    render_cache.store(cfg, web, "settings", files, WEB, True, render_cache.cache_dir(cfg), VIEW)
    render_cache.store(cfg, db, "settings", files, DB, True, render_cache.cache_dir(cfg), VIEW)
    return cfg, web


def again(cfg, job, settings="settings", data=True):
    """web1's reuse, judged with db1's record beside it."""
    jobs = [target for target in cfg.targets()]
    every = {target.key: "settings" for target in jobs} | {job.key: settings}
    found = render_cache.reusable(
        cfg, jobs, every, render_cache.estate_files(cfg), data, render_cache.cache_dir(cfg)
    )
    return found.get(job.key)


def test_unchanged_inputs_reuse_the_render_and_its_data_check(stored):
    cfg, job = stored
    assert again(cfg, job) == render_cache.Reuse(WEB, data=True, view=VIEW)


@pytest.mark.parametrize(
    "path",
    [
        "salt/nginx/config.sls",  # an SLS it uses
        "salt/nginx/files/site.conf",  # a file a state of it serves
        "pillar/web.sls",  # pillar its top assigns it
        "salt/top.sls",
        "saltline.yml",
        "salt/_modules/helper.py",  # a new custom module
    ],
)
def test_a_change_it_depends_on_renders_again(stored, path):
    cfg, job = stored
    (cfg.root / path).parent.mkdir(parents=True, exist_ok=True)
    (cfg.root / path).write_text("# changed\n")
    assert again(cfg, job) is None


@pytest.mark.parametrize(
    "path", ["salt/postgres/init.sls", "pillar/db.sls", "tests/infra/test_web.py", "README.md"]
)
def test_a_change_it_does_not_use_keeps_the_render(stored, path):
    cfg, job = stored
    (cfg.root / path).write_text("# changed\n")
    assert again(cfg, job) == render_cache.Reuse(WEB, data=True, view=VIEW)


@pytest.mark.parametrize("path", ["tests/golden/dev/web1.debian12.yaml", "salt/postgres/map.jinja"])
def test_a_golden_file_or_map_layer_change_checks_the_data_again(stored, path):
    """Golden data shows every component's map.jinja, so a map layer of any of them counts."""
    cfg, job = stored
    (cfg.root / path).write_text("# changed\n")
    assert again(cfg, job) is None
    assert again(cfg, job, data=False) == render_cache.Reuse(WEB, data=False, view=VIEW)


def test_a_render_that_rewrote_its_golden_file_is_reused_with_it(stored):
    cfg, job = stored
    golden_file = cfg.root / "tests/golden/dev/web1.debian12.yaml"
    before = render_cache.estate_files(cfg)  # what the render saw before writing the file
    golden_file.write_text("pillar: {port: 80}\n")  # --update-golden
    recorded = render_cache.with_golden_file(cfg, job, before)
    render_cache.store(cfg, job, "settings", recorded, WEB, True, render_cache.cache_dir(cfg), VIEW)
    assert again(cfg, job) == render_cache.Reuse(WEB, data=True, view=VIEW)


def test_other_settings_or_a_failed_render_are_not_reused(stored):
    cfg, job = stored
    assert again(cfg, job, settings="another image") is None
    render_cache.forget(
        job, render_cache.cache_dir(cfg), "settings", render_cache.estate_files(cfg)
    )
    assert again(cfg, job) is None


def test_a_damaged_record_renders_again(stored):
    cfg, job = stored
    for record in render_cache.cache_dir(cfg).iterdir():
        record.write_text("{not json")
    assert again(cfg, job) is None


def test_a_source_another_target_serves_keeps_this_ones_data_check(stored):
    cfg, web = stored
    (db,) = [target for target in cfg.targets() if target.key != web.key]
    (cfg.root / "salt/nginx/files/site.conf").write_text("# changed\n")
    assert again(cfg, db) == render_cache.Reuse(DB, data=True, view=VIEW)


def test_a_render_stored_without_its_view_is_not_reused(tmp_path):
    """…as those stored before views were read: the impact needs the view."""
    cfg = estate(tmp_path)
    web, db = sorted(cfg.targets(), key=lambda target: target.minion.name != "web1")
    files, directory = render_cache.estate_files(cfg), render_cache.cache_dir(cfg)
    render_cache.store(cfg, web, "settings", files, WEB, True, directory, VIEW)
    render_cache.store(cfg, db, "settings", files, DB, True, directory)
    every = {web.key: "settings", db.key: "settings"}
    found = render_cache.reusable(cfg, [web, db], every, files, True, directory)
    assert found == {web.key: render_cache.Reuse(WEB, data=True, view=VIEW)}


def test_a_content_rendered_before_the_latest_is_reused_again(tmp_path):
    """A merge request's base after its head: the job's latest record is the head's, and
    the base's exact content is found all the same."""
    cfg = estate(tmp_path)
    web = next(target for target in cfg.targets() if target.minion.name == "web1")
    directory = render_cache.cache_dir(cfg)
    base = render_cache.estate_files(cfg)
    render_cache.store(cfg, web, "settings", base, WEB, True, directory, VIEW)
    (tmp_path / "salt" / "nginx" / "init.sls").write_text("nginx: {pkg.removed: []}\n")
    head = render_cache.estate_files(cfg)
    render_cache.store(cfg, web, "settings", head, WEB, True, directory, VIEW)
    every = {target.key: "settings" for target in cfg.targets()}
    found = render_cache.reusable(cfg, cfg.targets(), every, base, True, directory)
    assert found[web.key] == render_cache.Reuse(WEB, data=True, view=VIEW)
