"""Commands that ship a tested commit: promote, rollback, status, drift, fleet."""

from __future__ import annotations

import argparse

from saltline.cli.arguments import Commands, load, positive
from saltline.console import Console
from saltline.engine import connection
from saltline.estate import layout
from saltline.promotion import fleet, promote, recovery, status


def register(commands: Commands) -> None:
    for add in (add_promote, add_rollback, add_unlock, add_status, add_drift, add_fleet):
        add(commands)


def add_promote(commands: Commands) -> None:
    promote_cmd = commands.add_parser("promote", help="deploy a tested commit to an environment")
    promote_cmd.add_argument("environment", metavar="ENV")
    promote_cmd.add_argument("rev", nargs="?", default="HEAD", metavar="REV")
    promote_cmd.add_argument(
        "--dry-run",
        action="store_true",
        help="upload and test=True through the candidate master; nothing live changes",
    )
    promote_cmd.add_argument(
        "--keep-on-failure",
        action="store_true",
        help="after a failed batch, keep the new release instead of switching back",
    )
    promote_cmd.add_argument("--batch-size", type=positive, metavar="N", help="minions per batch")
    promote_cmd.add_argument(
        "--untested",
        action="store_true",
        help="with --dry-run: preview a commit the gate refuses (audited; never where protected)",
    )
    promote_cmd.add_argument("--force", action="store_true", help="override the gate (audited)")
    promote_cmd.add_argument("--reason", help="why the override is safe (required with --force)")
    promote_cmd.set_defaults(handler=cmd_promote)


def cmd_promote(args: argparse.Namespace, console: Console) -> int:
    options = promote.PromoteOptions(
        environment=args.environment, rev=args.rev, dry_run=args.dry_run,
        batch_size=args.batch_size, force=args.force, reason=args.reason,
        keep_on_failure=args.keep_on_failure, untested=args.untested,
    )  # fmt: skip
    return promote.promote(load(args), options, connection.connect, console)


def add_rollback(commands: Commands) -> None:
    rollback_cmd = commands.add_parser(
        "rollback", help="return an environment to its previous release"
    )
    rollback_cmd.add_argument("environment", metavar="ENV")
    rollback_cmd.add_argument("--batch-size", type=positive, metavar="N")
    rollback_cmd.set_defaults(handler=cmd_rollback)


def cmd_rollback(args: argparse.Namespace, console: Console) -> int:
    cfg = load(args)
    return recovery.rollback(cfg, args.environment, connection.connect, console, args.batch_size)


def add_unlock(commands: Commands) -> None:
    unlock_cmd = commands.add_parser("unlock", help="break a stale deploy lease (audited)")
    unlock_cmd.add_argument("environment", metavar="ENV")
    unlock_cmd.add_argument("--reason", required=True, help="why the lease is stale")
    unlock_cmd.set_defaults(handler=cmd_unlock)


def cmd_unlock(args: argparse.Namespace, console: Console) -> int:
    cfg = load(args)
    return recovery.unlock(cfg, args.environment, args.reason, connection.connect, console)


def add_status(commands: Commands) -> None:
    status_cmd = commands.add_parser("status", help="the release on each master")
    status_cmd.add_argument("environment", nargs="?", metavar="ENV")
    status_cmd.set_defaults(handler=cmd_status)


def cmd_status(args: argparse.Namespace, console: Console) -> int:
    return status.status(load(args), args.environment, connection.connect, console)


def add_drift(commands: Commands) -> None:
    drift_cmd = commands.add_parser("drift", help="test=True against an environment")
    drift_cmd.add_argument("environment", metavar="ENV")
    drift_cmd.set_defaults(handler=cmd_drift)


def cmd_drift(args: argparse.Namespace, console: Console) -> int:
    return status.drift(load(args), args.environment, connection.connect, console)


def add_fleet(commands: Commands) -> None:
    fleet_cmd = commands.add_parser(
        "fleet", help="a local containerized master + minions per environment"
    )
    fleet_cmd.add_argument("action", choices=["up", "down", "status"])
    fleet_cmd.add_argument(
        "--ssh", action="store_true", help="up: also run sshd on the masters (ssh:// to them)"
    )
    fleet_cmd.set_defaults(handler=cmd_fleet)


def cmd_fleet(args: argparse.Namespace, console: Console) -> int:
    cfg = load(args)
    client = connection.connect()
    if args.action == "up":
        pillarenvs = layout.resolve(cfg, console.say).pillarenvs
        return fleet.up(client, cfg, console, pillarenvs, ssh=args.ssh)
    action = {"down": fleet.down, "status": fleet.status}[args.action]
    return action(client, cfg, console)
