"""The awk programs that turn a live master's configuration into a candidate's, run for
real (with this machine's awk, as on a master) on configuration files of the styles Salt
users write."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from saltline.promotion.candidate import (
    CANDIDATE_OWN,
    COPY_INCLUDES_FUNCTION,
    DRY_RUN_CONFIG_FUNCTION,
    INCLUDES,
    LEFT_OUT,
    SETTING,
    WITHOUT_LEFT_OUT,
)

LIVE = """\
# the live master
interface: 0.0.0.0
cachedir: '/var/cache/salt/live'   # on the big disk
cache: "consul"
reactor:
  - 'salt/minion/*/start':
    - /srv/reactor/start.sls
engines:
- slack:
    token: xoxb
"schedule":
  highstate:
    function: state.apply
pillar.cache_driver: redis
'event_return': [mysql]
file_roots:
  base:
    - /srv/salt
  reactor:  # an environment named like a left-out key, below the top level
    - /srv/reactor
cache_timeout: 5
worker_threads: 2
"""


def awk(program: str, *files: Path, key: str | None = None) -> str:
    variables = ["-v", f"key={key}"] if key else []
    done = subprocess.run(["awk", *variables, program, *files], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_left_out_keys_go_with_their_blocks_and_nothing_else_does(tmp_path):
    live = tmp_path / "master"
    live.write_text(LIVE)
    kept = yaml.safe_load(awk(WITHOUT_LEFT_OUT, live))
    assert kept == {
        "interface": "0.0.0.0",
        "file_roots": {"base": ["/srv/salt"], "reactor": ["/srv/reactor"]},
        "cache_timeout": 5,
        "worker_threads": 2,
    }
    assert not set(yaml.safe_load(LIVE)) - set(kept) - set(LEFT_OUT) - set(CANDIDATE_OWN)


def test_no_live_file_sets_what_the_candidate_sets_itself(tmp_path):
    """A live master.d file that sorts after the candidate's own (zz-saltline-candidate.conf)
    would otherwise put the candidate on the live master's sockets, cache or ports."""
    late = tmp_path / "zzz-site.conf"
    late.write_text(
        "sock_dir: /var/run/salt/master\ncachedir: /var/cache/salt/master\n"
        "'ret_port': 4506\nextension_modules:\n  /var/cache/salt/master/extmods\n"
        "worker_threads: 4\n"
    )
    assert yaml.safe_load(awk(WITHOUT_LEFT_OUT, late)) == {"worker_threads": 4}


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("cachedir", "/var/cache/salt/drop-in"),
        ("cache", "consul"),
        ("sock_dir", ""),
        ("worker_threads", "3"),
    ],
)
def test_a_setting_is_the_last_value_read_unquoted(tmp_path, key, expected):
    live, drop_in = tmp_path / "master", tmp_path / "cache.conf"
    live.write_text(LIVE)
    drop_in.write_text("cachedir: \"/var/cache/salt/drop-in\"\n'worker_threads': 3\n")
    assert awk(SETTING, live, drop_in, key=key).strip() == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("include: extra.conf  # the rest\n", ["extra.conf"]),
        ("include: ['/etc/salt/extra/*.conf', \"b.conf\"]\n", ["/etc/salt/extra/*.conf", "b.conf"]),
        ("interface: 0.0.0.0\ninclude:\n  - a.conf\n- 'b.conf'\nfile_roots:\n  - c.conf\n",
         ["a.conf", "b.conf"]),
        ("file_roots:\n  include: not.conf\n", []),
    ],
)  # fmt: skip
def test_includes_are_the_paths_a_top_level_include_names(tmp_path, text, expected):
    live = tmp_path / "master"
    live.write_text(text)
    assert awk(INCLUDES, live).splitlines() == expected


def copy_includes(into: Path, master: Path, *master_d: Path) -> list[tuple[str, str]]:
    """copy_all_includes (COPY_INCLUDES_FUNCTION) run for real: each copy's name and first
    line, in the order Salt reads them."""
    script = f'{COPY_INCLUDES_FUNCTION}\nset -e\nincludes="$1"; shift\ncopy_all_includes "$@"'
    done = subprocess.run(["sh", "-c", script, "sh", INCLUDES, into, master, *master_d],
                          capture_output=True, text=True, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert not (into / ".included").exists()
    return [(copy.name, copy.read_text().splitlines()[0]) for copy in sorted(into.glob("*.conf"))]


def test_included_files_are_copied_with_what_they_include_in_salts_order(tmp_path):
    """Salt reads an included file's own `include:` too (relative to that file), and a
    nested file's settings override the file that includes it."""
    etc = tmp_path / "etc" / "master.d"
    (etc / "extra").mkdir(parents=True)
    (etc / "top.conf").write_text("# top\ninclude:\n  - extra/*.conf\n  - /srv/last.conf\n")
    (etc / "extra" / "a.conf").write_text("# a\ninclude: nested/pillar.conf\n")
    (etc / "extra" / "b.conf").write_text("# b\nworker_threads: 2\n")
    (etc / "extra" / "nested").mkdir()
    (etc / "extra" / "nested" / "pillar.conf").write_text("# nested\next_pillar: []\n")
    last = tmp_path / "srv" / "last.conf"
    last.parent.mkdir()
    last.write_text("# last\n")
    top = etc / "top.conf"
    top.write_text(top.read_text().replace("/srv/last.conf", str(last)))
    into = tmp_path / "candidate"
    into.mkdir()
    copies = copy_includes(into, tmp_path / "no-master", top)
    assert copies == [
        ("top.conf+001.conf", "# a"),
        ("top.conf+001.conf+002.conf", "# nested"),
        ("top.conf+003.conf", "# b"),
        ("top.conf+004.conf", "# last"),
    ]
    # …and Salt reads them after the file that includes them, before the next one
    names = [name for name, _ in copies]
    neighbours = ["top.conf", "top.conf.d.conf", "topaz.conf"]
    assert sorted([*names, *neighbours]) == ["top.conf", *names, *neighbours[1:]]


def test_an_include_cycle_copies_each_file_once(tmp_path):
    (tmp_path / "a.conf").write_text("# a\ninclude: b.conf\n")
    (tmp_path / "b.conf").write_text("# b\ninclude: [a.conf, missing.conf]\n")
    into = tmp_path / "candidate"
    into.mkdir()
    assert copy_includes(into, tmp_path / "no-master", tmp_path / "a.conf") == [
        ("a.conf+001.conf", "# b"),
        ("a.conf+001.conf+002.conf", "# a"),
    ]


def test_a_file_two_files_include_is_read_after_each_and_the_master_files_includes_last(
    tmp_path,
):
    (tmp_path / "shared.conf").write_text("# shared\n")
    (tmp_path / "m.conf").write_text("# m\n")
    (tmp_path / "master").write_text("include: m.conf\n")
    for name in ("a.conf", "b.conf"):
        (tmp_path / name).write_text(f"include: {tmp_path / 'shared.conf'}\n")
    into = tmp_path / "candidate"
    into.mkdir()
    copies = copy_includes(into, tmp_path / "master", tmp_path / "a.conf", tmp_path / "b.conf")
    assert copies == [
        ("a.conf+001.conf", "# shared"),
        ("b.conf+001.conf", "# shared"),
        ("zz-master+001.conf", "# m"),
    ]


def salts_reading(config: Path) -> dict:
    """A minion's configuration directory as Salt reads it: the minion file, then the
    minion.d files in sorted order, each over the last (no `include:` may be left)."""
    files = [config / "minion", *sorted((config / "minion.d").glob("*.conf"))]
    merged: dict = {}
    for file in files:
        loaded = yaml.safe_load(file.read_text()) or {}
        assert "include" not in loaded, f"{file.name} still includes: {loaded['include']}"
        merged.update(loaded)
    return merged


def dry_run_config(live: Path, copy: Path) -> Path:
    """dry_run_config (DRY_RUN_CONFIG_FUNCTION) run for real, for the candidate port 4606."""
    copy.mkdir()
    script = f'{DRY_RUN_CONFIG_FUNCTION}\nset -e\ndry_run_config "$@"'
    done = subprocess.run(["sh", "-c", script, "sh", live, copy, "4606"],
                          capture_output=True, text=True, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    return copy


def test_a_dry_runs_minion_configuration_is_the_live_one_on_the_candidates_port(tmp_path):
    """Whatever the live minion's files are named and include, the dry run's copy talks to
    the candidate's port and keeps its cache and extension modules to itself."""
    live, site = tmp_path / "etc-salt", tmp_path / "srv" / "site.conf"
    (live / "minion.d").mkdir(parents=True)
    (live / "pki" / "minion").mkdir(parents=True)
    (live / "pki" / "minion" / "minion.pem").write_text("key\n")
    site.parent.mkdir()
    site.write_text("master_port: 4506\nlog_level: info\n")
    (live / "minion").write_text(f"master: m1\npki_dir: /srv/pki\ninclude: {site}\n")
    (live / "minion.d" / "a.conf").write_text("master_port: 4506\nmine_interval: 5\n")
    (live / "minion.d" / "zzz-site.conf").write_text(
        "cachedir: /var/cache/salt/minion\nextension_modules:\n  /var/cache/salt/minion/extmods\n"
    )
    copy = tmp_path / "dry-run"
    assert salts_reading(dry_run_config(live, copy)) == {
        "master": "m1",
        "master_port": 4606,
        "mine_interval": 5,
        "log_level": "info",  # from the included file, copied in
        "cachedir": f"{copy}/cache",
        "extension_modules": f"{copy}/cache/extmods",
        "pki_dir": "/srv/pki",  # the live minion's keys, where it keeps them
    }
    assert not (copy / "pki").exists()
    assert (live / "minion.d" / "zzz-site.conf").read_text().startswith("cachedir")


def test_a_dry_run_reads_the_drop_ins_the_live_minion_reads(tmp_path):
    """A main file's `default_include` names the drop-in files (minion.d/*.conf unless
    set): the live minion reads those and not minion.d, and so does the dry run's copy."""
    live = tmp_path / "etc-salt"
    (live / "minion.d").mkdir(parents=True)
    (live / "conf.d").mkdir()
    (live / "minion").write_text("default_include: conf.d/*.conf\n")
    (live / "minion.d" / "unread.conf").write_text("mine_interval: 5\n")
    (live / "conf.d" / "site.conf").write_text("master: m1\nmaster_port: 4506\n")
    copy = dry_run_config(live, tmp_path / "dry-run")
    assert salts_reading(copy) == {
        "master": "m1",
        "master_port": 4606,
        "cachedir": f"{copy}/cache",
        "extension_modules": f"{copy}/cache/extmods",
        "pki_dir": f"{live}/pki/minion",
    }
