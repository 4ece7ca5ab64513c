"""Local commands (git, pip, debootstrap, the lint tools, ssh): one way to run them.

Arguments are passed separately, never through a shell; output is captured as text
unless bytes go in; a command that outlives its timeout is killed and reported.

>>> run(["echo", "hello"]).stdout
'hello\\n'
>>> run(["sh", "-c", "exit 3"]).returncode
3
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from saltline.errors import CommandTimeout

Completed = subprocess.CompletedProcess


def run(
    command: list[str],
    *,
    cwd: Path | None = None,
    stdin: str | None = None,
    timeout: float | None = None,
    env: dict[str, str] | None = None,
) -> Completed[str]:
    """Run a command to completion, text in and out; never raises on a non-zero exit."""
    try:
        return subprocess.run(
            command, cwd=cwd, input=stdin, capture_output=True, text=True,
            timeout=timeout, env=env, check=False,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        raise CommandTimeout(f"{command[0]} did not finish within {timeout:.0f}s") from None


def run_bytes(
    command: list[str], *, stdin: bytes | None = None, timeout: float | None = None
) -> Completed[bytes]:
    """`run`, with bytes in and out (archives, piped tar streams)."""
    try:
        return subprocess.run(
            command, input=stdin, capture_output=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired:
        raise CommandTimeout(f"{command[0]} did not finish within {timeout:.0f}s") from None


def tail(text: str, lines: int) -> str:
    """The last lines of a tool's output, for an error message."""
    return "\n".join(text.strip().splitlines()[-lines:])
