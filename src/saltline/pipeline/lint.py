"""The lint stage: yamllint, salt-lint and ruff over the estate. No containers; seconds.

Each tool runs with machine-readable output, parsed by a pure function into
findings that name file:line and rule:

    >>> line = "pillar/web.sls:3:1: [error] wrong indentation (indentation)"
    >>> [str(finding) for finding in parse_yamllint(line, Path("."))]
    ['pillar/web.sls:3: [yamllint indentation] wrong indentation']
"""

from __future__ import annotations

import json
import re
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from saltline import process
from saltline.config import Config
from saltline.errors import SaltlineError
from saltline.pipeline.results import Case, StageResult

DEFAULT_YAMLLINT = Path(str(resources.files("saltline.data").joinpath("yamllint.yml")))


@dataclass(frozen=True)
class Finding:
    tool: str
    path: str
    line: int
    rule: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: [{self.tool} {self.rule}] {self.message}"


_YAMLLINT_LINE = re.compile(
    r"^(?P<path>.+?):(?P<line>\d+):\d+: \[(?P<level>\w+)\] "
    r"(?P<message>.*?)(?: \((?P<rule>[\w-]+)\))?$"
)


def parse_yamllint(output: str, root: Path) -> list[Finding]:
    """`yamllint -f parsable` output."""
    findings = []
    for line in output.splitlines():
        match = _YAMLLINT_LINE.match(line.strip())
        if match:
            findings.append(
                Finding(
                    "yamllint",
                    _relative(match["path"], root),
                    int(match["line"]),
                    match["rule"] or match["level"],
                    match["message"],
                )
            )
    return findings


# What a `.salt-lint` with `verbosity: 1` prints before (or, with no finding, instead of)
# its JSON.
_SALT_LINT_PROGRESS = re.compile(r"^Examining \S.* of type \w+\n?", re.M)


def parse_salt_lint(output: str, root: Path) -> list[Finding]:
    """`salt-lint --json` output (after any progress lines a `.salt-lint` verbosity adds)."""
    return [
        Finding("salt-lint", _relative(item["filename"], root), int(item["linenumber"]),
                str(item["id"]), str(item["message"]))
        for item in _json_items(
            "salt-lint", _SALT_LINT_PROGRESS.sub("", output),
            ("filename", "linenumber", "id", "message"),
        )
    ]  # fmt: skip


def parse_ruff(output: str, root: Path) -> list[Finding]:
    """`ruff check --output-format json` output."""
    return [
        Finding("ruff", _relative(item["filename"], root), int(item["location"]["row"]),
                item.get("code") or "syntax", str(item["message"]))
        for item in _json_items("ruff", output, ("filename", "location", "message"))
    ]  # fmt: skip


def _json_items(tool: str, output: str, keys: tuple[str, ...]) -> list[dict[str, Any]]:
    """The JSON list of findings a tool printed, from the first line that opens it; what
    cannot be read as one is an error that names the tool and shows what it printed."""
    lines = output.splitlines()
    start = next((i for i, line in enumerate(lines) if line.lstrip().startswith("[")), None)
    if start is None:
        if output.strip():
            raise SaltlineError(f"{tool} printed no findings saltline can read:\n{_tail(output)}")
        return []
    try:
        items = json.loads("\n".join(lines[start:]))
    except json.JSONDecodeError:
        raise SaltlineError(
            f"{tool} printed no findings saltline can read:\n{_tail(output)}"
        ) from None
    if not isinstance(items, list) or not all(
        isinstance(item, dict) and all(key in item for key in keys) for item in items
    ):
        raise SaltlineError(f"{tool} printed findings of an unknown shape:\n{_tail(output)}")
    return items


def _tail(output: str) -> str:
    return "\n".join(output.strip().splitlines()[-10:])


def _relative(path: str, root: Path) -> str:
    """Paths as the user sees them: relative to the estate's root."""
    candidate = Path(path)
    if candidate.is_absolute():
        try:
            return str(candidate.relative_to(root.resolve()))
        except ValueError:
            return path
    return str(Path(path))  # drops a leading "./"


@dataclass(frozen=True)
class Tool:
    name: str
    command: Callable[[Config], list[str] | None]  # None: nothing to check
    parse: Callable[[str, Path], list[Finding]]


def sls_files(config: Config, roots: tuple[str, ...], but: tuple[str, ...] = ()) -> list[str]:
    """The SLS files under the repository's own roots (not under `but`, nor hidden
    directories), relative to its root."""
    excluded = [(config.root / name).resolve() for name in but]
    found = set()
    for name in roots:
        for path in (config.root / name).resolve().rglob("*.sls"):
            if any(path.is_relative_to(other) for other in excluded):
                continue
            relative = path.relative_to(config.root.resolve())
            if not any(part.startswith(".") for part in relative.parts):
                found.add(str(relative))
    return sorted(found)


_TEMPLATE = re.compile(r"{%|{{|{#")
_PLAIN = {"yaml", "yamlex", "gpg"}


def pillar_linter(path: Path) -> str | None:
    """Which tool lints a pillar SLS, by what renders it: yamllint when it is plain YAML
    (Salt's default renderer, jinja|yaml, with no Jinja in it, or a `#!yaml|gpg` line),
    salt-lint when Jinja renders it (yamllint reads `{%` as a syntax error), neither for
    `#!py` and other renderers.

    >>> pillar_linter(Path("pillar/web.sls"))  # no such file: Salt would not read it either
    """
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return None
    first = text.partition("\n")[0]
    if first.startswith("#!"):
        renderers = {name.strip() for name in first[2:].split("|")}
        return "yamllint" if renderers <= _PLAIN else "salt-lint" if "jinja" in renderers else None
    return "salt-lint" if _TEMPLATE.search(text) else "yamllint"


def _pillar_files(config: Config, tool: str) -> list[str]:
    pillar = sls_files(config, config.pillar_roots)
    return [name for name in pillar if pillar_linter(config.root / name) == tool]


def _yamllint(config: Config) -> list[str]:
    # yamllint picks YAML files by base name, so pillar SLS (plain YAML) are named explicitly.
    own = [config.root / name for name in (".yamllint", ".yamllint.yaml", ".yamllint.yml")]
    settings = [] if any(path.is_file() for path in own) else ["-c", str(DEFAULT_YAMLLINT)]
    return ["yamllint", "-f", "parsable", *settings, ".", *_pillar_files(config, "yamllint")]


def _salt_lint(config: Config) -> list[str] | None:
    files = sls_files(config, config.state_roots, but=config.pillar_roots)
    files += _pillar_files(config, "salt-lint")
    return ["salt-lint", "--json", "--nocolor", *files] if files else None


def _ruff(config: Config) -> list[str] | None:
    paths = [name for name in config.python_paths if (config.root / name).exists()]
    return ["ruff", "check", "--output-format", "json", "--no-cache", *paths] if paths else None


TOOLS = (
    Tool("yamllint", _yamllint, parse_yamllint),
    Tool("salt-lint", _salt_lint, parse_salt_lint),
    Tool("ruff", _ruff, parse_ruff),
)


def run(config: Config, tools: tuple[Tool, ...] = TOOLS) -> StageResult:
    """Every tool over the estate; the stage fails on any finding."""
    started = time.monotonic()
    cases, findings = [], []
    for tool in tools:
        command = tool.command(config)
        if command is None:
            continue
        tool_started = time.monotonic()
        output = _run_tool(command, config.root)
        found = tool.parse(output, config.root)
        findings += found
        cases.append(
            Case(
                name=tool.name,
                classname="estate.lint",
                duration=time.monotonic() - tool_started,
                failure="\n".join(map(str, found)) or None,
            )
        )
    message = "\n".join(map(str, findings)) or f"{len(cases)} tools, no findings"
    return StageResult(
        "lint", "failed" if findings else "passed", time.monotonic() - started, message, cases
    )


def _run_tool(command: list[str], cwd: Path) -> str:
    executable = _find(command[0])
    done = process.run([executable, *command[1:]], cwd=cwd)
    if done.returncode not in (0, 1, 2) or (done.returncode and not done.stdout.strip()):
        raise SaltlineError(
            f"{command[0]} failed (exit {done.returncode}): {done.stderr.strip()[-800:]}"
        )
    return done.stdout


def _find(name: str) -> str:
    """A tool from this interpreter's environment first, then PATH."""
    beside = Path(sys.executable).parent / name
    if beside.is_file():
        return str(beside)
    found = shutil.which(name)
    if found is None:
        raise SaltlineError(f"{name} is not installed; `pip install 'saltline[dev]'` brings it")
    return found
