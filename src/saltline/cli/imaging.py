"""`saltline images build|list|prune`: the test images, a minion image per matrix cell."""

from __future__ import annotations

import argparse
import datetime

from saltline.cli.arguments import Commands, add_cell_arguments, cell_targets, load
from saltline.console import Console
from saltline.engine import connection
from saltline.engine.images import ImageInfo, Images


def register(commands: Commands) -> None:
    images = commands.add_parser("images", help="build, list or prune the test images")
    images.add_argument("action", choices=["build", "list", "prune"])
    images.add_argument("--all", action="store_true", help="prune: every saltline image")
    images.add_argument(
        "--no-cache", action="store_true",
        help="build: the minion images again, without Docker's layer cache (base images stay)",
    )  # fmt: skip
    add_cell_arguments(images)
    images.set_defaults(handler=cmd_images)


def cmd_images(args: argparse.Namespace, console: Console) -> int:
    cfg = load(args)
    images = Images(connection.connect(), cfg, log=console.say, rebuild=args.no_cache)
    cells = list(dict.fromkeys(target.cell for target in cell_targets(cfg, args)))
    chosen = [(cfg.platforms[platform], version) for platform, version in cells]
    if args.action == "build":
        images.check_supported(chosen)  # every cell, before the first build
        for platform, version in chosen:
            console.say(
                f"{platform.name} × Salt {version}: {images.ensure_minion(platform, version)}"
            )
    elif args.action == "list":
        available = {info.tag: info for info in images.available()}
        console.say(f"{'CELL':28} {'IMAGE':50} {'SIZE':>8}  AGE")
        for platform, version in chosen:
            tag = images.minion_tag(platform, version)
            info = available.pop(tag, None)
            shown = "not built (saltline images build)" if info is None else tag
            console.say(f"{f'{platform.name} × Salt {version}':28} {shown:50} {_size_age(info)}")
        for info in available.values():
            console.say(f"{f'({info.kind})':28} {info.tag:50} {_size_age(info)}")
    else:
        removed = images.prune(everything=args.all)
        console.say(
            f"removed {len(removed)} image(s)" + (f": {', '.join(removed)}" if removed else "")
        )
    return 0


def _size_age(info: ImageInfo | None) -> str:
    if info is None:
        return ""
    try:
        created = datetime.datetime.fromisoformat(info.created).replace(tzinfo=datetime.UTC)
        hours = (datetime.datetime.now(datetime.UTC) - created).total_seconds() / 3600
        age = f"{hours:.0f} h" if hours < 48 else f"{hours / 24:.0f} days"
    except ValueError:
        age = "?"
    return f"{info.size_mb:6.0f}MB  {age}"
