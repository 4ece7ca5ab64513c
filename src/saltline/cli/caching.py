"""`saltline cache status|clear`: what outlives a run to make the next one faster."""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

from saltline import config
from saltline.cache import cache_dir
from saltline.cli.arguments import Commands
from saltline.console import Console
from saltline.engine import apt_cache, connection
from saltline.errors import SaltlineError
from saltline.pipeline import render_cache

KINDS = ("packages", "renders", "downloads")
DEFAULT_CLEAR = ("packages", "renders")


def register(commands: Commands) -> None:
    cache = commands.add_parser(
        "cache",
        help="show or clear the package cache, stored renders and downloads",
        description="packages: the apt cache test minions share (a container and volume on "
        "the engine); renders: the last passing render of each minion × environment "
        "(.saltline/renders); downloads: Salt wheelhouses and formula mirrors "
        f"({cache_dir()}). Images: `saltline images`.",
    )
    cache.add_argument("action", choices=["status", "clear"])
    cache.add_argument(
        "what", nargs="*", metavar="WHAT",
        help=f"clear: any of {', '.join(KINDS)} (default: {' and '.join(DEFAULT_CLEAR)})",
    )  # fmt: skip
    cache.add_argument(
        "--force", action="store_true", help="clear the package cache while runs use it"
    )
    cache.set_defaults(handler=cmd_cache)


def cmd_cache(args: argparse.Namespace, console: Console) -> int:
    unknown = [kind for kind in args.what if kind not in KINDS]
    if unknown or (args.what and args.action == "status"):
        raise SaltlineError(
            f"cache {args.action}: unexpected {' '.join(unknown or args.what)}; "
            f"usage: saltline cache status | saltline cache clear [{'|'.join(KINDS)} …]"
        )
    renders = _renders_dir(args)
    if args.action == "status":
        _status(renders, console)
        return 0
    for kind in args.what or DEFAULT_CLEAR:
        if kind == "packages":
            _clear_packages(args.force, console)
        elif kind == "renders":
            if renders is not None and renders.is_dir():
                shutil.rmtree(renders)
            console.say(f"renders: cleared{f' ({renders})' if renders else ''}")
        else:
            for name in ("wheelhouse", "formulas"):
                shutil.rmtree(cache_dir() / name, ignore_errors=True)
            console.say(f"downloads: cleared ({cache_dir()})")
    return 0


def _status(renders: Path | None, console: Console) -> None:
    found = apt_cache.status(connection.connect())
    if found is None:
        console.say("packages: none yet (the next test run starts it)")
    else:
        state = "running" if found.running else "stopped"
        users = f"; used by {len(found.attached)} run network(s) now" if found.attached else ""
        console.say(
            f"packages: {apt_cache.NAME} {state}, {found.packages} packages, "
            f"{_size(found.size_bytes)}{users}"
        )
    if renders is None:
        console.say("renders: no saltline.yml here")
    else:
        records = list(renders.glob("*.json")) if renders.is_dir() else []
        console.say(f"renders: {len(records)} stored ({renders})")
    for name in ("wheelhouse", "formulas"):
        console.say(f"downloads: {name} {_size(_du(cache_dir() / name))} ({cache_dir() / name})")


def _clear_packages(force: bool, console: Console) -> None:
    client = connection.connect()
    found = apt_cache.status(client)
    if found is not None and found.attached and not force:
        raise SaltlineError(
            f"the package cache is in use by runs ({', '.join(found.attached)}); "
            "clear it when they end, or with --force (their package downloads then fail)"
        )
    removed = apt_cache.clear(client)
    console.say("packages: cleared" if removed else "packages: there was no package cache")


def _renders_dir(args: argparse.Namespace) -> Path | None:
    try:
        path = args.config or config.find()
    except SaltlineError:
        return None
    return render_cache.cache_dir(config.load(path))


def _du(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.is_dir() else 0


def _size(count: int) -> str:
    return f"{count / 1e6:.1f} MB"
