"""Argument types and helpers shared by the commands."""

from __future__ import annotations

import argparse
import os
from typing import TYPE_CHECKING, Any

from saltline import config
from saltline.engine import connection, golden
from saltline.errors import SaltlineError

if TYPE_CHECKING:  # subscriptable for the type checker only
    Commands = argparse._SubParsersAction[argparse.ArgumentParser]  # `add_subparsers()`
else:
    Commands = argparse._SubParsersAction


def load(args: argparse.Namespace) -> config.Config:
    """The configuration named by `-c`, or the nearest `saltline.yml`, with what this
    machine's environment gives (`config.with_environment`)."""
    return config.with_environment(config.load(args.config or config.find()), os.environ)


def positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a positive whole number, got {text!r}")
    return int(text)


def shard(text: str) -> tuple[int, int]:
    try:
        index, total = (int(part) for part in text.split("/"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected I/N, like 1/3; got {text!r}") from None
    if not 1 <= index <= total:
        raise argparse.ArgumentTypeError(f"shard {text}: I must be between 1 and N")
    return index, total


def split(values: list[str]) -> list[str]:
    """`--only a,b --only c` → [a, b, c]."""
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def add_cell_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--platform", help="only this platform (`default`: the first listed)")
    parser.add_argument(
        "--salt", metavar="VERSION",
        help="only this Salt version of the matrix: 3008.3, a release line (3008), or default",
    )  # fmt: skip
    parser.add_argument(
        "--default-cell", action="store_true",
        help="only the default platform with the default Salt version (merge requests)",
    )  # fmt: skip


def cell_targets(
    cfg: config.Config, args: argparse.Namespace, **narrowing: Any
) -> list[config.Target]:
    platform, salt = args.platform, args.salt
    if args.default_cell and (platform or salt):
        given = f"--platform {platform}" if platform else f"--salt {salt}"
        raise SaltlineError(
            f"--default-cell and {given} are two cell selections: --default-cell is the "
            "first platform with the default Salt version; give one of them (`make "
            f'pipeline` adds --default-cell: set CELL="{given}" instead)'
        )
    if args.default_cell:
        platform, salt = platform or "default", salt or "default"
    if platform == "default":
        platform = cfg.default_platform
    chosen = [p for p in cfg.golden_platforms if platform in (None, p.name)]
    if chosen:  # their Salt versions are their images': read before any target exists
        cfg = golden.resolve(connection.connect(), cfg)
    return cfg.targets(platform=platform, salt=salt, **narrowing)
