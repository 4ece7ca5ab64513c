"""Derive a dry run's Salt configuration from the live one, as Salt itself reads it.

Runs on a master or minion, under the Salt installation's own Python (found by
salt_python.sh), never in saltline's process: the live options are what
`salt.config.master_config` / `minion_config` compute there, with the host's includes,
`default_include`, `root_dir`, environment variables, anchors and flow style read by
Salt's own loader. They are filtered and overridden here, and written as one file
(mode 0600, in a directory the caller made 0700) that the copy reads with no includes.

    python salt_config.py master LIVE_FILE OUT_DIR PORT CURRENT CANDIDATE
        the candidate master's configuration (OUT_DIR/etc/master), its cache seeded
        with the live master's minion data and extension modules
    python salt_config.py minion LIVE_FILE OUT_DIR PORT
        a minion's configuration pointed at the candidate master (OUT_DIR/minion)

Exit code 0: written; 1: not, with the reason (a live master that serves no saltline
release, or Salt's own message).
Compatible with the oldest Python a supported Salt runs on (3.9).
"""

from __future__ import annotations

import os
import shutil
import sys
from typing import Any

import salt.config  # type: ignore[import-untyped]
import salt.utils.network  # type: ignore[import-untyped]
import yaml

Options = dict[str, Any]

# What a master does on its own, and the stores it shares with others: a candidate must
# not react to its dry run's events, run the live schedule or engines, send events, jobs,
# metrics or traces where the live master sends them, join the live cluster, or put the
# release's pillar in a shared minion data or pillar cache. Left out, they take Salt's
# defaults (nothing, or files in the candidate's own cache).
MASTER_LEFT_OUT = (
    "reactor", "engines", "schedule", "event_return", "ext_job_cache", "master_job_cache",
    "metrics", "tracing", "cluster_id", "cluster_peers", "cluster_pki_dir",
    "cache", "pillar.cache_driver", "eauth_tokens.cache_driver", "beacons",
)  # fmt: skip
# Computed by Salt's loader from others (or its caller) on every read: left for the copy's
# own read to compute again from the values set here.
DERIVED = ("conf_file", "include", "default_include", "token_dir", "syndic_dir", "__cli")


def _without_internal(opts: Options) -> Options:
    return {key: value for key, value in opts.items()
            if key not in DERIVED and not key.startswith("__")}  # fmt: skip


def _moved(value: object, current: str, candidate: str) -> object:
    """`value` with every path under `current` pointed under `candidate`."""
    if isinstance(value, str):
        if value == current or value.startswith(current + "/"):
            return candidate + value[len(current) :]
        return value
    if isinstance(value, list):
        return [_moved(item, current, candidate) for item in value]
    if isinstance(value, dict):
        return {key: _moved(item, current, candidate) for key, item in value.items()}
    return value


def _serves(opts: Options, root: str) -> bool:
    roots = [path for paths in (opts.get("file_roots") or {}).values() for path in paths]
    return any(path == root or path.startswith(root + "/") for path in roots)


class _Dumper(yaml.SafeDumper):
    """YAML for Salt's options: a tuple (some defaults are) as the list it reads back."""


_Dumper.add_representer(tuple, _Dumper.represent_list)


def _write(path: str, opts: Options) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        yaml.dump(opts, handle, Dumper=_Dumper, default_flow_style=False)


def _copy_tree(source: str, target: str) -> None:
    if os.path.isdir(source):
        shutil.copytree(source, target, symlinks=True, dirs_exist_ok=True)


def candidate_master(live_file: str, home: str, port: int, current: str, candidate: str) -> int:
    live = salt.config.master_config(live_file)
    if not _serves(live, current):
        print(f"the live master's file_roots serve nothing under {current}", file=sys.stderr)
        return 1
    opts = {
        key: _moved(value, current, candidate)
        for key, value in _without_internal(live).items()
        if key not in MASTER_LEFT_OUT
    }
    cache = os.path.join(home, "cache")
    # the candidate's marker (salt://saltline-candidate/token), served after the release
    live_roots = opts.get("file_roots")
    roots = dict(live_roots) if isinstance(live_roots, dict) else {}
    roots["base"] = [*roots.get("base", []), os.path.join(home, "marker")]
    opts["file_roots"] = roots
    opts.update(
        root_dir="/",  # every path read is absolute already
        ret_port=port,
        publish_port=port - 1,
        # ipc_mode: tcp — the candidate's local sockets on ports of its own too
        tcp_master_pub_port=port + 1,
        tcp_master_pull_port=port + 2,
        tcp_master_publish_pull=port + 3,
        tcp_master_workers=port + 4,
        cachedir=cache,
        sock_dir=os.path.join(home, "sock"),
        pidfile=os.path.join(home, "salt-master.pid"),
        log_file=os.path.join(home, "master.log"),
        grains_cache=True,  # each of its processes would compute the host's grains again
        extension_modules=os.path.join(cache, "extmods"),
        pki_dir=live["pki_dir"],  # the live master's keys: it knows the same minions
    )
    _write(os.path.join(home, "etc", "master"), opts)
    # The live mine, grains and pillar (when kept in files): what `mine.get` in the
    # release's templates reads. From a shared store (consul, redis, …) it starts empty.
    if live.get("cache", "localfs") == "localfs":
        _copy_tree(os.path.join(live["cachedir"], "minions"), os.path.join(cache, "minions"))
    _copy_tree(live["extension_modules"], os.path.join(cache, "extmods"))
    return 0


def dry_run_minion(live_file: str, out_dir: str, port: int) -> int:
    live = salt.config.minion_config(live_file)
    opts = _without_internal(live)
    masters = live["master"] if isinstance(live["master"], list) else [live["master"]]
    # `master: host:port` names the live port, and Salt takes it over master_port
    hosts = [salt.utils.network.parse_host_port(str(master))[0] for master in masters]
    opts.update(
        root_dir="/",
        master=hosts if isinstance(live["master"], list) else hosts[0],
        master_port=port,
        cachedir=os.path.join(out_dir, "cache"),
        extension_modules=os.path.join(out_dir, "cache", "extmods"),
        pki_dir=live["pki_dir"],  # the live minion's key, which the candidate accepts
    )
    _write(os.path.join(out_dir, "minion"), opts)
    return 0


def main(argv: list[str]) -> int:
    role, live_file, out_dir, port = argv[0], argv[1], argv[2], int(argv[3])
    if role == "master":
        return candidate_master(live_file, out_dir, port, argv[4], argv[5])
    return dry_run_minion(live_file, out_dir, port)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
