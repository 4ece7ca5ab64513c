"""A dry run's Salt configuration, derived from live configurations of every shape Salt
reads, by the program that runs on a master or minion (remote/salt_config.py) under a
real Salt loader: this machine's Salt, as the host's own Salt would read them there.
Each derived file is then read back by Salt, as the candidate master or the dry run's
salt-call reads it."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import salt.config as salt_config

from saltline.promotion import remote
from saltline.promotion.paths import CANDIDATE, CURRENT

PORT = 4606
SALTLINE_ROOTS = (
    f"file_roots:\n  base: [{CURRENT}/salt]\npillar_roots:\n  base: [{CURRENT}/pillar]\n"
)


def derive(role: str, live: Path, out: Path, *args: str, env: dict[str, str] | None = None) -> str:
    """The program, run as the remote scripts run it (`python -c PROGRAM …`)."""
    done = subprocess.run(
        [sys.executable, "-c", remote.python("salt_config.py"), role, str(live), str(out),
         str(PORT), *args],
        capture_output=True, text=True, check=False, env={**os.environ, **(env or {})},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stderr


def candidate(live_dir: Path, home: Path, env: dict[str, str] | None = None) -> dict[str, Any]:
    """The candidate master's configuration derived from `live_dir`/master, as the
    candidate master reads it."""
    (home / "etc").mkdir(parents=True)
    derive("master", live_dir / "master", home, CURRENT, CANDIDATE, env=env)
    written = home / "etc" / "master"
    assert stat.S_IMODE(written.stat().st_mode) == 0o600
    return dict(salt_config.master_config(str(written)))


def dry_run_minion(live_dir: Path, copy: Path) -> dict[str, Any]:
    copy.mkdir()
    derive("minion", live_dir / "minion", copy)
    written = copy / "minion"
    assert stat.S_IMODE(written.stat().st_mode) == 0o600
    return dict(salt_config.minion_config(str(written)))


LEFT_OUT = ("reactor", "engines", "schedule", "event_return")


@pytest.mark.parametrize(
    "master",
    [
        pytest.param("{reactor: [{'salt/auth': [/srv/r.sls]}], engines: [{slack: {}}]}\n",
                     id="a top-level flow mapping"),
        pytest.param("? reactor\n: - 'salt/auth': [/srv/r.sls]\n? schedule\n: {h: {function: x}}\n",
                     id="complex keys"),
        pytest.param("live: &live\n  engines: [{slack: {}}]\n  event_return: [mysql]\n<<: *live\n",
                     id="a merge key"),
    ],
)  # fmt: skip
def test_what_a_master_does_on_its_own_never_reaches_the_candidate(tmp_path, master):
    live = tmp_path / "live"
    (live / "master.d").mkdir(parents=True)
    (live / "master").write_text(master)
    (live / "master.d" / "saltline.conf").write_text(SALTLINE_ROOTS)
    live_read = salt_config.master_config(str(live / "master"))
    assert any(live_read.get(key) for key in LEFT_OUT)  # the live master does read them
    read = candidate(live, tmp_path / "home")
    for key in LEFT_OUT:
        assert not read.get(key), f"{key} reached the candidate: {read.get(key)}"


def test_the_candidate_serves_the_candidate_release_on_ports_caches_and_sockets_of_its_own(
    tmp_path,
):
    live = tmp_path / "live"
    (live / "master.d").mkdir(parents=True)
    (live / "master").write_text(
        "cachedir: &c /var/cache/salt/big-disk\n"  # an anchor
        "pki_dir:\n  /opt/salt/pki\n"  # a value on the next line
        "ipc_mode: tcp\n"
        "log_fmt_console: '%(levelname)s: %(message)s'\n"  # a quoted value with `: `
        "include: [\n  extra.conf,\n  ~/site/*.conf\n]\n"  # multi-line flow, a home
    )
    (live / "extra.conf").write_text("worker_threads: 7\n")
    (live / "site").mkdir()
    (live / "site" / "roots.conf").write_text(SALTLINE_ROOTS)
    home = tmp_path / "home"
    read = candidate(live, home, env={"HOME": str(live)})  # Salt expands ~, not $VAR
    # the release, then the candidate's marker (salt://saltline-candidate/token)
    assert read["file_roots"] == {"base": [f"{CANDIDATE}/salt", f"{home}/marker"]}
    assert read["pillar_roots"] == {"base": [f"{CANDIDATE}/pillar"]}
    assert read["worker_threads"] == 7
    assert read["log_fmt_console"] == "%(levelname)s: %(message)s"
    assert read["pki_dir"] == "/opt/salt/pki"  # the live keys: the same accepted minions
    assert (read["ret_port"], read["publish_port"]) == (PORT, PORT - 1)
    own_ports = {read[k] for k in ("tcp_master_pub_port", "tcp_master_pull_port",
                                   "tcp_master_publish_pull", "tcp_master_workers")}  # fmt: skip
    assert own_ports.isdisjoint({4505, 4506, 4512, 4513, 4514, 4515})
    for key in ("cachedir", "sock_dir", "pidfile", "log_file", "extension_modules"):
        assert read[key].startswith(str(home)), f"{key}: {read[key]}"
    assert not (home / "etc" / "master.d").exists()  # one file, no includes


def test_a_root_dir_and_an_absolute_default_include_are_read_as_salt_reads_them(tmp_path):
    live, root = tmp_path / "live", tmp_path / "root"
    (live / "conf.d").mkdir(parents=True)
    (live / "master.d").mkdir()
    (live / "master").write_text(f"root_dir: {root}\ndefault_include: {live}/conf.d/*.conf\n")
    (live / "conf.d" / "roots.conf").write_text(SALTLINE_ROOTS + "worker_threads: 9\n")
    (live / "master.d" / "unread.conf").write_text("worker_threads: 1\n")
    read = candidate(live, tmp_path / "home")
    assert read["worker_threads"] == 9
    assert read["pki_dir"] == f"{root}/etc/salt/pki/master"  # under the live root_dir, once
    assert read["cachedir"] == f"{tmp_path}/home/cache"  # the candidate's own, not under it


def test_a_master_without_saltlines_roots_is_refused_with_the_reason(tmp_path):
    live = tmp_path / "live"
    live.mkdir()
    (live / "master").write_text("file_roots:\n  base: [/srv/salt]\n")
    (tmp_path / "home" / "etc").mkdir(parents=True)
    done = subprocess.run(
        [sys.executable, "-c", remote.python("salt_config.py"), "master", str(live / "master"),
         str(tmp_path / "home"), str(PORT), CURRENT, CANDIDATE],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 1
    assert f"serve nothing under {CURRENT}" in done.stderr


def test_the_candidate_starts_with_the_live_minion_data_and_modules(tmp_path):
    live, cache = tmp_path / "live", tmp_path / "live-cache"
    live.mkdir()
    # extension_modules is not under cachedir unless set (Salt's default since 3006)
    (live / "master").write_text(
        SALTLINE_ROOTS + f"cachedir: {cache}\nextension_modules: {cache}/extmods\n"
    )
    (cache / "minions" / "web1").mkdir(parents=True)
    (cache / "minions" / "web1" / "mine.p").write_bytes(b"mine")
    (cache / "extmods" / "modules").mkdir(parents=True)
    (cache / "extmods" / "modules" / "site.py").write_text("")
    home = tmp_path / "home"
    read = candidate(live, home)
    assert (Path(read["cachedir"]) / "minions" / "web1" / "mine.p").read_bytes() == b"mine"
    assert (Path(read["extension_modules"]) / "modules" / "site.py").exists()
    (live / "master").write_text(SALTLINE_ROOTS + f"cachedir: {cache}\ncache: redis\n")
    again = tmp_path / "again"
    assert not (Path(candidate(live, again)["cachedir"]) / "minions").exists()  # shared store


@pytest.mark.parametrize(
    ("master", "expected"),
    [("m1:4506", "m1"), ("'[::1]:4506'", "::1"), ("m1", "m1"),
     ("[m1:4506, 'm2:4506']", ["m1", "m2"])],
)  # fmt: skip
def test_a_dry_run_minion_talks_to_the_candidate_whatever_its_master_setting(
    tmp_path, master, expected
):
    """Salt takes the port from `master: host:port` over master_port: the copy drops it."""
    live = tmp_path / "live"
    (live / "minion.d").mkdir(parents=True)
    (live / "minion").write_text(f"master: {master}\nmaster_port: 4506\nid: web1\n")
    (live / "minion.d" / "zzz-site.conf").write_text(
        "cachedir: /var/cache/salt/minion\nextension_modules:\n  /var/cache/salt/minion/extmods\n"
    )
    copy = tmp_path / "copy"
    read = dry_run_minion(live, copy)
    assert (read["master"], read["master_port"], read["id"]) == (expected, PORT, "web1")
    assert read["cachedir"] == f"{copy}/cache"
    assert read["extension_modules"] == f"{copy}/cache/extmods"
    assert read["pki_dir"] == "/etc/salt/pki/minion"  # the live key, which the candidate knows


def test_a_dry_run_minion_reads_the_drop_ins_and_includes_the_live_minion_reads(tmp_path):
    live = tmp_path / "live"
    (live / "conf.d").mkdir(parents=True)
    (live / "minion.d").mkdir()
    (live / "minion").write_text("default_include: conf.d/*.conf\nid: web1\n")
    (live / "minion.d" / "unread.conf").write_text("mine_interval: 5\n")
    (live / "conf.d" / "site.conf").write_text("master: m1\ninclude: ../more.conf\n")
    (live / "more.conf").write_text("pki_dir: /srv/pki\n")  # relative to the including file
    read = dry_run_minion(live, tmp_path / "copy")
    assert (read["master"], read["pki_dir"]) == ("m1", "/srv/pki")
    assert read["mine_interval"] != 5


@pytest.mark.parametrize(("served", "code"), [("t0ken", 0), ("live", remote.Exit.NOT_CANDIDATE)])
def test_a_dry_run_answered_by_another_master_than_the_candidate_fails_by_name(
    tmp_path, served, code
):
    """minion_dry_run.sh, with a salt-call that serves `served` as the candidate's marker."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    salt_call = bin_dir / "salt-call"
    salt_call.write_text(
        f"#!{sys.executable}\nimport sys\n"
        f"print({served!r} if 'cp.get_file_str' in sys.argv else '{{\"local\": {{}}}}')\n"
    )
    salt_call.chmod(0o755)
    script = remote.script("salt_python.sh", "minion_dry_run.sh")
    done = subprocess.run(
        ["sh", "-c", script, "sh", str(PORT), remote.encoded(remote.python("salt_config.py")),
         "t0ken"],
        capture_output=True, text=True, check=False,
        env={**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}"},
    )  # fmt: skip
    assert done.returncode == code, done.stderr
    if code:
        assert "reached a master that is not the candidate" in done.stderr
        assert "read back as 'live'" in done.stderr
    else:
        assert done.stdout.strip() == '{"local": {}}'
