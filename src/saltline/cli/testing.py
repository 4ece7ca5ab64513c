"""Commands that test the estate: test, lint, render, login, destroy."""

from __future__ import annotations

import argparse
import dataclasses
import os
import shutil
from pathlib import Path

from saltline import config
from saltline.cli.arguments import (
    Commands,
    add_cell_arguments,
    cell_targets,
    load,
    positive,
    shard,
    split,
)
from saltline.console import Console
from saltline.engine import cleanup, connection, labels
from saltline.errors import SaltlineError
from saltline.estate import git
from saltline.pipeline import changes, impact_report, prediction, runner
from saltline.pipeline.progress import render_table
from saltline.pipeline.results import RunResult
from saltline.pipeline.stages import PIPELINE
from saltline.promotion import gate


def register(commands: Commands) -> None:
    for add in (add_test, add_lint, add_render, add_diff, add_login, add_destroy):
        add(commands)


def add_test(commands: Commands) -> None:
    test = commands.add_parser("test", help="converge, check idempotence and verify test minions")
    test.add_argument("minions", nargs="*", metavar="MINION", help="minions to test (default: all)")
    add_cell_arguments(test)
    test.add_argument("--environment", help="only this tested environment")
    for flag, verb in (("--only", "run only"), ("--skip", "skip")):
        test.add_argument(
            flag, action="append", default=[], metavar="STAGE",
            help=f"{verb} this stage (repeatable; comma-separated allowed)",
        )  # fmt: skip
    test.add_argument(
        "--shard", type=shard, metavar="I/N",
        help="test only the I-th of N equal parts of the minions (CI parallel jobs)",
    )  # fmt: skip
    test.add_argument(
        "--changed", nargs="?", const="", metavar="BASE",
        help="converge only the targets the change since BASE affects (default: the merge "
        "request's base in CI, else the merge base with the default branch); records no pass",
    )  # fmt: skip
    test.add_argument(
        "--no-impact", dest="impact", action="store_false",
        help="with --changed: do not render the base; select the targets by the files "
        "changed alone, and report no impact",
    )  # fmt: skip
    test.add_argument(
        "--no-package-cache", dest="package_cache", action="store_false",
        help="minions download packages directly, not through the shared cache",
    )  # fmt: skip
    test.add_argument(
        "--check-prediction", action="store_true",
        help="converge first runs the highstate with test=True and names the states whose "
        "changes Salt did not predict (tests.prediction in saltline.yml)",
    )  # fmt: skip
    test.add_argument("--keep", action="store_true", help="keep the containers (see `login`)")
    test.add_argument("--jobs", type=int, default=0, help="minions in parallel (default: cores)")
    test.add_argument(
        "--max-containers", type=positive, default=0, metavar="N",
        help="test minions alive at once, in batches of whole groups (default: what the "
        "host allows: its inotify instances and memory)",
    )  # fmt: skip
    test.add_argument("--reports", type=Path, help="report directory (default: reports/)")
    test.set_defaults(handler=cmd_test)


def _part(args: argparse.Namespace) -> str | None:
    """Which part of the matrix a run covers, for its pass record; None: all of it."""
    said = [
        f"{name} {value}"
        for name, value in (
            ("shard", f"{args.shard[0]}/{args.shard[1]}" if args.shard else None),
            ("platform", "default" if args.default_cell and not args.platform else args.platform),
            ("salt", "default" if args.default_cell and not args.salt else args.salt),
            ("environment", args.environment),
        )
        if value
    ]
    return ", ".join(said) or None


def cmd_test(args: argparse.Namespace, console: Console) -> int:
    cfg = load(args)
    if args.check_prediction:
        cfg = dataclasses.replace(cfg, tests=dataclasses.replace(cfg.tests, prediction=True))
    stages = runner.select_stages(split(args.only), split(args.skip))
    targets = cell_targets(
        cfg, args, minions=args.minions, shard=args.shard, environment=args.environment
    )
    changed = base = None
    if args.changed is not None:
        if "render" not in stages:
            raise SaltlineError("--changed needs the render stage: it tells what each target uses")
        base = changes.base_of(cfg.root, args.changed or None)
        changed = changes.changed_files(cfg.root, base)
        console.say(f"--changed: {len(changed)} changed file(s) since {base[:12]}")
    # A pass counts for the targets it tested: whole groups only (not a minion picked out)
    counts = stages == PIPELINE and not args.minions and changed is None
    before, why = gate.snapshot(cfg) if counts else (None, "")
    commit = before.sha if before is not None else None  # test what a release of it ships
    impact_base = base if args.impact else None
    result = _run(cfg, targets, stages, args, console, changed, commit, impact_base=impact_base)
    exit_code = 0 if result.passed else 1
    if exit_code == 0 and counts:
        recorded = None
        if before is not None:
            reports = args.reports or cfg.root / "reports"
            recorded, why = gate.record(cfg, before, reports, targets, _part(args),
                                        _predictions(result))  # fmt: skip
        if recorded:
            sha = recorded.fingerprint.sha
            console.say(f"recorded a pass for {sha[:12]} (git notes {git.NOTES_REF})")
        else:
            console.say(f"no pass recorded: {why}")
    return exit_code


def _predictions(result: RunResult) -> dict[str, dict[str, list[str]]] | None:
    """Where Salt's prediction held, by minion, when the converges checked it."""
    checks = [
        (target.minion, stage.details["prediction"])
        for target in result.targets
        for stage in target.stages
        if "prediction" in stage.details
    ]
    return prediction.by_minion(checks) if checks else None


def add_lint(commands: Commands) -> None:
    lint_cmd = commands.add_parser("lint", help="yamllint, salt-lint and ruff; no containers")
    lint_cmd.add_argument("--reports", type=Path, help="report directory (default: reports/)")
    lint_cmd.set_defaults(handler=cmd_lint)


def cmd_lint(args: argparse.Namespace, console: Console) -> int:
    return 0 if _run(load(args), [], ("lint", "report"), args, console).passed else 1


def add_render(commands: Commands) -> None:
    render_cmd = commands.add_parser(
        "render", help="render highstate and pillar per minion × environment, without applying"
    )
    render_cmd.add_argument("minions", nargs="*", metavar="MINION", help="(default: all)")
    add_cell_arguments(render_cmd)
    render_cmd.add_argument(
        "--update-golden",
        action="store_true",
        help="write the rendered pillar and map.jinja data to tests/golden/ (review the diff)",
    )
    render_cmd.add_argument("--reports", type=Path, help="report directory (default: reports/)")
    render_cmd.set_defaults(handler=cmd_render)


def cmd_render(args: argparse.Namespace, console: Console) -> int:
    cfg = load(args)
    targets = cell_targets(cfg, args, minions=args.minions)
    return 0 if _run(cfg, targets, ("render", "report"), args, console).passed else 1


DIFFERENCES = 3  # `saltline diff --exit-code`: the change has an impact


def add_diff(commands: Commands) -> None:
    diff = commands.add_parser(
        "diff",
        help="what the change since BASE does to each minion in each environment: states, "
        "rendered files, pillar keys (secrets never shown); nothing is applied",
    )
    diff.add_argument(
        "base", nargs="?", default="", metavar="BASE",
        help="compare with the merge base of HEAD and BASE (default: the merge request's "
        "base in CI, else the default branch)",
    )  # fmt: skip
    diff.add_argument("minions", nargs="*", metavar="MINION", help="(default: all)")
    add_cell_arguments(diff)
    diff.add_argument(
        "--exit-code", action="store_true", help=f"exit {DIFFERENCES} when anything changes"
    )
    diff.add_argument("--reports", type=Path, help="report directory (default: reports/)")
    diff.set_defaults(handler=cmd_diff)


def cmd_diff(args: argparse.Namespace, console: Console) -> int:
    cfg = load(args)
    targets = cell_targets(cfg, args, minions=args.minions)
    base = changes.base_of(cfg.root, args.base or None, "diff")
    # a review, not a test: golden data that differs is the change, not a failure
    result = _run(cfg, targets, ("render", "report"), args, console, impact_base=base,
                  golden_data=False)  # fmt: skip
    if not result.passed:
        return 1
    if result.impact is not None:
        for line in impact_report.console_lines(result.impact)[1:]:
            console.say(line)
    changed = result.impact is not None and bool(result.impact.changed)
    return DIFFERENCES if args.exit_code and changed else 0


def _run(
    cfg: config.Config,
    targets: list[config.Target],
    stages: tuple[str, ...],
    args: argparse.Namespace,
    console: Console,
    changed: list[str] | None = None,
    commit: str | None = None,
    impact_base: str | None = None,
    golden_data: bool = True,
) -> RunResult:
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
        changed=changed,
        package_cache=getattr(args, "package_cache", True),
        commit=commit,
        max_containers=getattr(args, "max_containers", 0),
        impact_base=impact_base,
        golden_data=golden_data,
    )
    result = runner.run(connection.connect, cfg, options, console)
    console.say(render_table(result))
    if "report" in stages:
        console.say(f"reports: {options.reports_dir}/junit.xml, summary.md, results.json")
    if keep:
        console.say("containers kept: `saltline login MINION`, then `saltline destroy`")
    return result


def add_login(commands: Commands) -> None:
    login = commands.add_parser("login", help="a shell in a kept test minion")
    login.add_argument("minion", metavar="MINION")
    login.add_argument("--environment", help="which one, when it was kept in several")
    login.set_defaults(handler=cmd_login)


def cmd_login(args: argparse.Namespace, console: Console) -> int:
    client = connection.connect()
    wanted = [labels.RUN, f"{labels.MINION}={args.minion}"]
    if args.environment:
        wanted.append(f"{labels.ENVIRONMENT}={args.environment}")
    found = client.containers.list(filters={"label": wanted}, ignore_removed=True)
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
    os.execv(docker_cli, ["docker", "exec", "-it", str(found[0].name), "bash", "-l"])
    return 0  # not reached


def add_destroy(commands: Commands) -> None:
    destroy = commands.add_parser(
        "destroy", help="remove every test container, network and volume (not the fleet)"
    )
    destroy.set_defaults(handler=cmd_destroy)


def cmd_destroy(args: argparse.Namespace, console: Console) -> int:
    removed = cleanup.remove_all(connection.connect())
    for kind in ("containers", "networks", "volumes"):
        names = getattr(removed, kind)
        console.say(f"removed {len(names)} {kind}" + (f": {', '.join(names)}" if names else ""))
    return 0
