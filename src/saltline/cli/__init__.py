"""The `saltline` command line.

Exit codes: 0 all passed; 1 a stage failed, or a promotion was refused or failed;
2 usage, configuration or environment error; 130 interrupted (everything the run
created is removed first).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from pathlib import Path
from types import FrameType

import docker.errors

from saltline import __version__
from saltline.cli import adopting, caching, imaging, shipping, testing
from saltline.console import Console
from saltline.errors import SaltlineError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="saltline",
        description=__doc__.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,  # --version on one line
    )
    parser.add_argument("-c", "--config", type=Path, help="path to saltline.yml (default: nearest)")
    parser.add_argument("--version", action="version", version=_version())
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    adopting.register(commands)
    testing.register(commands)
    imaging.register(commands)
    shipping.register(commands)
    caching.register(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # Ctrl-C and a CI cancel (SIGTERM) both clean up. SIGINT explicitly: a process started
    # in the background of a shell without job control inherits it ignored.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _interrupt)
    console = Console()
    try:
        return int(args.handler(args, console))
    except SaltlineError as exc:
        print(f"saltline: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except docker.errors.DockerException as exc:  # what no caller words: never a traceback
        print(
            f"saltline: error: the Docker engine refused an operation ({exc}); "
            "`saltline destroy` removes what this run left",
            file=sys.stderr,
        )
        return 2
    except KeyboardInterrupt:
        print("saltline: interrupted; containers removed, locks released", file=sys.stderr)
        # Cleanup is done; a worker thread may still wait on a Docker exec whose container
        # is gone, and the interpreter would join it at exit: leave now.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(130)


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def _version() -> str:
    """Its version, and where it runs from: which installation a CI job or a pipx
    environment actually uses."""
    package = Path(__file__).resolve().parents[1]
    python = ".".join(map(str, sys.version_info[:3]))
    return f"saltline {__version__} from {package} (Python {python}, {sys.executable})"
