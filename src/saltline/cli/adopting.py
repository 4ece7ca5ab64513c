"""Commands that adopt an existing Salt repository: init, formulas."""

from __future__ import annotations

import argparse
from pathlib import Path

from saltline import __version__, config
from saltline.adopt import ci_writer, config_writer, discovery
from saltline.cli.arguments import Commands, load
from saltline.console import Console
from saltline.errors import ConfigError
from saltline.estate import formulas


def register(commands: Commands) -> None:
    for add in (add_init, add_formulas):
        add(commands)


def add_init(commands: Commands) -> None:
    init = commands.add_parser(
        "init", help="write a saltline.yml for the Salt repository in this directory"
    )
    init.add_argument(
        "--force", action="store_true", help="overwrite an existing saltline.yml (and CI file)"
    )
    init.add_argument(
        "--ci", choices=sorted(ci_writer.CI_FILES), action="append", default=[],
        help="also write a CI definition for this repository (repeatable)",
    )  # fmt: skip
    init.add_argument(
        "--ci-package", metavar="REQUIREMENT",
        help="the saltline the CI jobs install (default: this version, saltline==X.Y.Z; "
        "or a wheel's URL, git+https://…@vX.Y.Z)",
    )  # fmt: skip
    init.set_defaults(handler=cmd_init)


def cmd_init(args: argparse.Namespace, console: Console) -> int:
    root = (args.config.parent if args.config else Path.cwd()).resolve()
    target = args.config or root / config.CONFIG_NAME
    if args.ci and target.exists() and not args.force:  # CI for a repository adopted before
        _write_ci(root, args, console)
        return 0
    if target.exists() and not args.force:
        raise ConfigError(f"{target} exists; `saltline init --force` overwrites it")
    if args.ci:  # checked before anything is written
        for kind in args.ci:
            existing = root / ci_writer.CI_FILES[kind][0]
            if existing.exists() and not args.force:
                raise ConfigError(f"{existing} exists; `saltline init --ci {kind} --force` "
                                  "overwrites it")  # fmt: skip
    found = discovery.discover(root)
    text = config_writer.render(found)
    config.parse(text, target)  # what init writes must load
    target.write_text(text)
    ignored = _ignore_own_outputs(root)
    console.say(f"wrote {target}")
    for title, lines in (
        ("found", found.found),
        ("guessed", found.guessed),
        ("top file targets without a minion", found.unmatched),
        ("lint configurations used as they are", found.lint_files),
    ):
        if lines:
            console.say(f"{title}:\n" + "\n".join(f"  - {line}" for line in lines))
    if ignored:
        console.say(f".gitignore: added {', '.join(ignored)} (saltline's reports and caches)")
    _write_ci(root, args, console)
    console.say("next: `saltline test` (review saltline.yml first; it is yours to edit)")
    return 0


def _write_ci(root: Path, args: argparse.Namespace, console: Console) -> None:
    version = __version__
    package = args.ci_package or f"saltline=={version}"
    for kind in args.ci:
        path = ci_writer.write(root, kind, package, version, force=args.force)
        console.say(f"wrote {path.relative_to(root)} (installs {package}; runners: see its "
                    "first lines)")  # fmt: skip


def _ignore_own_outputs(root: Path) -> list[str]:
    gitignore = root / ".gitignore"
    text = gitignore.read_text() if gitignore.is_file() else ""
    present = {line.strip().strip("/") for line in text.splitlines()}
    missing = [f"/{name}/" for name in config.OWN_OUTPUTS if name not in present]
    if missing:
        separator = "" if not text or text.endswith("\n") else "\n"
        gitignore.write_text(text + separator + "# saltline\n" + "\n".join(missing) + "\n")
    return missing


def add_formulas(commands: Commands) -> None:
    formulas_cmd = commands.add_parser(
        "formulas", help="the formulas saltline.yml depends on: update their pins"
    )
    formulas_cmd.add_argument("action", choices=["update", "list"])
    formulas_cmd.add_argument("names", nargs="*", metavar="NAME", help="(default: all)")
    formulas_cmd.set_defaults(handler=cmd_formulas)


def cmd_formulas(args: argparse.Namespace, console: Console) -> int:
    cfg = load(args)
    if args.action == "update":
        before = formulas.read_lock(cfg)
        pins = formulas.update(cfg, args.names or None)
        for name, pin in pins.items():
            old = before.get(name)
            moved = f"{old.commit[:12]} → " if old and old.commit != pin.commit else ""
            console.say(f"{name}: {pin.source} {pin.ref or 'HEAD'} at {moved}{pin.commit[:12]}")
        console.say(f"wrote {cfg.lock_path.name}; commit it with saltline.yml")
        return 0
    pins = formulas.read_lock(cfg)
    problems = formulas.disagreements(cfg, pins)
    for name, spec in cfg.formulas.items():
        pinned = pins[name].commit[:12] if name in pins else "not pinned"
        console.say(f"{name}: {spec.source} {spec.ref or 'HEAD'} → {pinned}")
    for problem in problems:
        console.say(f"lock: {problem}")
    return 1 if problems else 0
