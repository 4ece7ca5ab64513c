"""The `saltline` command line.

Exit codes: 0 all passed; 1 a stage failed; 2 usage, configuration or environment
error; 130 interrupted (everything the run created is removed first).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import shutil
import signal
import sys
from pathlib import Path
from types import FrameType

from saltline import config
from saltline.console import Console
from saltline.engine import cleanup, connection, labels
from saltline.engine.images import Images
from saltline.errors import SaltlineError
from saltline.pipeline import runner
from saltline.pipeline.progress import render_table
from saltline.promotion import fleet, gate, git, promote


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="saltline", description=__doc__.splitlines()[0])
    parser.add_argument("-c", "--config", type=Path, help="path to saltline.yml (default: nearest)")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    test = commands.add_parser("test", help="converge, check idempotence and verify test minions")
    test.add_argument("minions", nargs="*", metavar="MINION", help="minions to test (default: all)")
    test.add_argument("--platform", help="only this platform")
    test.add_argument("--environment", help="only this tested environment")
    test.add_argument("--salt-version", help="override salt_version from saltline.yml")
    test.add_argument(
        "--only",
        action="append",
        default=[],
        metavar="STAGE",
        help="run only this stage (repeatable; comma-separated allowed)",
    )
    test.add_argument(
        "--skip",
        action="append",
        default=[],
        metavar="STAGE",
        help="skip this stage (repeatable; comma-separated allowed)",
    )
    test.add_argument(
        "--shard",
        type=_shard,
        metavar="I/N",
        help="test only the I-th of N equal parts of the minions (CI parallel jobs)",
    )
    test.add_argument("--keep", action="store_true", help="keep the containers (see `login`)")
    test.add_argument("--jobs", type=int, default=0, help="minions in parallel (default: cores)")
    test.add_argument("--reports", type=Path, help="report directory (default: reports/)")
    test.set_defaults(handler=cmd_test)

    lint_cmd = commands.add_parser("lint", help="yamllint, salt-lint and ruff; no containers")
    lint_cmd.add_argument("--reports", type=Path, help="report directory (default: reports/)")
    lint_cmd.set_defaults(handler=cmd_lint)

    render_cmd = commands.add_parser(
        "render", help="render highstate and pillar per minion × environment, without applying"
    )
    render_cmd.add_argument("minions", nargs="*", metavar="MINION", help="(default: all)")
    render_cmd.add_argument("--platform", help="only this platform")
    render_cmd.add_argument(
        "--update-golden",
        action="store_true",
        help="write the rendered pillar and map.jinja data to tests/golden/ (review the diff)",
    )
    render_cmd.add_argument("--reports", type=Path, help="report directory (default: reports/)")
    render_cmd.set_defaults(handler=cmd_render)

    promote_cmd = commands.add_parser("promote", help="deploy a tested commit to an environment")
    promote_cmd.add_argument("environment", metavar="ENV")
    promote_cmd.add_argument("rev", nargs="?", default="HEAD", metavar="REV")
    promote_cmd.add_argument(
        "--dry-run",
        action="store_true",
        help="upload and test=True, then switch back; apply nothing",
    )
    promote_cmd.add_argument("--batch-size", type=_positive, metavar="N", help="minions per batch")
    promote_cmd.add_argument("--force", action="store_true", help="override the gate (audited)")
    promote_cmd.add_argument("--reason", help="why the override is safe (required with --force)")
    promote_cmd.set_defaults(handler=cmd_promote)

    rollback_cmd = commands.add_parser(
        "rollback", help="return an environment to its previous release"
    )
    rollback_cmd.add_argument("environment", metavar="ENV")
    rollback_cmd.add_argument("--batch-size", type=_positive, metavar="N")
    rollback_cmd.set_defaults(handler=cmd_rollback)

    status_cmd = commands.add_parser("status", help="the release on each master")
    status_cmd.add_argument("environment", nargs="?", metavar="ENV")
    status_cmd.set_defaults(handler=cmd_status)

    drift_cmd = commands.add_parser("drift", help="test=True against an environment")
    drift_cmd.add_argument("environment", metavar="ENV")
    drift_cmd.set_defaults(handler=cmd_drift)

    fleet_cmd = commands.add_parser(
        "fleet", help="a local containerized master + minions per environment"
    )
    fleet_cmd.add_argument("action", choices=["up", "down", "status"])
    fleet_cmd.set_defaults(handler=cmd_fleet)

    login = commands.add_parser("login", help="a shell in a kept test minion")
    login.add_argument("minion", metavar="MINION")
    login.add_argument("--environment", help="which one, when it was kept in several")
    login.set_defaults(handler=cmd_login)

    destroy = commands.add_parser("destroy", help="remove every container, network and volume")
    destroy.set_defaults(handler=cmd_destroy)

    images = commands.add_parser("images", help="build, list or prune the test images")
    images.add_argument("action", choices=["build", "list", "prune"])
    images.add_argument("--all", action="store_true", help="prune: every saltline image")
    images.set_defaults(handler=cmd_images)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    signal.signal(signal.SIGTERM, _interrupt)
    console = Console()
    try:
        return int(args.handler(args, console))
    except SaltlineError as exc:
        print(f"saltline: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("saltline: interrupted; containers removed, locks released", file=sys.stderr)
        return 130


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def _load(args: argparse.Namespace) -> config.Config:
    return config.load(args.config or config.find())


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a positive whole number, got {text!r}")
    return int(text)


def _shard(text: str) -> tuple[int, int]:
    try:
        index, total = (int(part) for part in text.split("/"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected I/N, like 1/3; got {text!r}") from None
    if not 1 <= index <= total:
        raise argparse.ArgumentTypeError(f"shard {text}: I must be between 1 and N")
    return index, total


def _split(values: list[str]) -> list[str]:
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def cmd_test(args: argparse.Namespace, console: Console) -> int:
    cfg = _load(args)
    if args.salt_version:
        cfg = dataclasses.replace(cfg, salt_version=args.salt_version)
    stages = runner.select_stages(_split(args.only), _split(args.skip))
    targets = cfg.targets(args.minions, args.platform, args.shard, args.environment)
    exit_code = _run(cfg, targets, stages, args, console)
    whole_matrix = not (args.minions or args.platform or args.salt_version or args.environment)
    if exit_code == 0 and stages == runner.PIPELINE and whole_matrix:
        reports = args.reports or cfg.root / "reports"
        recorded = gate.record(cfg.root, reports, cfg.salt_version, targets, args.shard)
        if recorded:
            console.say(f"recorded a pass for {recorded.sha[:12]} (git notes {git.NOTES_REF})")
        else:
            console.say("no pass recorded: the tree is not a clean git checkout")
    return exit_code


def cmd_lint(args: argparse.Namespace, console: Console) -> int:
    return _run(_load(args), [], ("lint", "report"), args, console)


def cmd_render(args: argparse.Namespace, console: Console) -> int:
    cfg = _load(args)
    return _run(cfg, cfg.targets(args.minions, args.platform), ("render", "report"), args, console)


def _run(
    cfg: config.Config,
    targets: list[config.Target],
    stages: tuple[str, ...],
    args: argparse.Namespace,
    console: Console,
) -> int:
    if not targets and set(stages) - {"lint", "report"}:
        raise SaltlineError(f"nothing to test: no minion of {cfg.path} matches")
    keep = getattr(args, "keep", False)
    options = runner.TestOptions(
        targets=targets,
        reports_dir=args.reports or cfg.root / "reports",
        stages=stages,
        keep=keep,
        jobs=getattr(args, "jobs", 0),
        update_golden=getattr(args, "update_golden", False),
    )
    result = runner.run(connection.connect, cfg, options, console)
    console.say(render_table(result))
    if "report" in stages:
        console.say(f"reports: {options.reports_dir}/junit.xml, summary.md, results.json")
    if keep:
        console.say("containers kept: `saltline login MINION`, then `saltline destroy`")
    return 0 if result.passed else 1


def cmd_promote(args: argparse.Namespace, console: Console) -> int:
    cfg = _load(args)
    options = promote.PromoteOptions(
        environment=args.environment, rev=args.rev, dry_run=args.dry_run,
        batch_size=args.batch_size, force=args.force, reason=args.reason,
    )  # fmt: skip
    return promote.promote(cfg, options, connection.connect, console)


def cmd_rollback(args: argparse.Namespace, console: Console) -> int:
    return promote.rollback(
        _load(args), args.environment, connection.connect, console, args.batch_size
    )


def cmd_status(args: argparse.Namespace, console: Console) -> int:
    return promote.status(_load(args), args.environment, connection.connect, console)


def cmd_drift(args: argparse.Namespace, console: Console) -> int:
    return promote.drift(_load(args), args.environment, connection.connect, console)


def cmd_fleet(args: argparse.Namespace, console: Console) -> int:
    cfg = _load(args)
    client = connection.connect()
    action = {"up": fleet.up, "down": fleet.down, "status": fleet.status}[args.action]
    return action(client, cfg, console)


def cmd_login(args: argparse.Namespace, console: Console) -> int:
    client = connection.connect()
    wanted = [labels.RUN, f"{labels.MINION}={args.minion}"]
    if args.environment:
        wanted.append(f"{labels.ENVIRONMENT}={args.environment}")
    found = client.containers.list(filters={"label": wanted})
    if not found:
        raise SaltlineError(
            f"no running test minion {args.minion!r}; "
            f"run `saltline test {args.minion} --keep` first"
        )
    if len(found) > 1:
        kept = sorted(c.labels.get(labels.ENVIRONMENT, "?") for c in found)
        raise SaltlineError(
            f"test minion {args.minion!r} is kept in several environments ({', '.join(kept)}); "
            "choose one with --environment"
        )
    docker_cli = shutil.which("docker")
    if docker_cli is None:
        raise SaltlineError("`saltline login` needs the docker command-line client on PATH")
    os.execv(docker_cli, ["docker", "exec", "-it", found[0].name, "bash", "-l"])
    return 0  # not reached


def cmd_destroy(args: argparse.Namespace, console: Console) -> int:
    removed = cleanup.remove_all(connection.connect())
    for kind in ("containers", "networks", "volumes"):
        names = getattr(removed, kind)
        console.say(f"removed {len(names)} {kind}" + (f": {', '.join(names)}" if names else ""))
    return 0


def cmd_images(args: argparse.Namespace, console: Console) -> int:
    cfg = _load(args)
    images = Images(connection.connect(), cfg, log=console.say)
    if args.action == "build":
        for platform in cfg.platforms.values():
            console.say(f"{platform.name}: {images.ensure_minion(platform)}")
    elif args.action == "list":
        console.say(f"{'TAG':45} {'KIND':13} {'PLATFORM':10} {'SALT':9} {'SIZE':>8}  CREATED")
        for info in images.list():
            console.say(
                f"{info.tag:45} {info.kind:13} {info.platform:10} {info.salt_version:9} "
                f"{info.size_mb:6.0f}MB  {info.created}"
            )
    else:
        removed = images.prune(everything=args.all)
        console.say(
            f"removed {len(removed)} image(s)" + (f": {', '.join(removed)}" if removed else "")
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
