"""What runs on masters and minions: the shell and Python files of this directory (and
`SHARED` ones of saltline/data).

A remote command is a fixed script whose values arrive as positional arguments, never
interpolated into its text. Each `.sh` file is checked by shellcheck (`make lint`);
`script()` joins the files a command needs (function libraries first) behind a header
that defines the paths and exit codes below, so each number is written in one place.

>>> "EXIT_MODULE_SYNC_FAILED=5" in script("master_modules.sh")
True
"""

from __future__ import annotations

import base64
from enum import IntEnum
from importlib import resources

from saltline.promotion import paths


class Exit(IntEnum):
    """Exit codes of remote scripts that mean something (anything else: a failure)."""

    LEASE_HELD = 3  # another promotion's lease is in place
    MODULE_SYNC_FAILED = 5  # salt-run saltutil.sync_all failed
    NO_SALT_PYTHON = 6  # no Python that imports Salt beside the Salt program
    CONFIG_FAILED = 7  # Salt's loader could not derive a dry run's configuration
    PASS_REFUSED = 8  # a master's own allowed_signers passed no record of the release
    NOT_CANDIDATE = 9  # a dry run's minion read back another marker than the candidate's


def _header() -> str:
    constants = {
        "RELEASE_ROOT": paths.RELEASE_ROOT, "RELEASES": paths.RELEASES,
        "CURRENT": paths.CURRENT, "CANDIDATE": paths.CANDIDATE,
        "CANDIDATE_HOME": paths.CANDIDATE_HOME, "MODULES_MARKER": paths.MODULES_MARKER,
        "LOCK": paths.LOCK, "MASTER_SIGNERS": paths.MASTER_SIGNERS,
        **{f"EXIT_{code.name}": str(code.value) for code in Exit},
    }  # fmt: skip
    return "".join(f"{name}={value}\n" for name, value in constants.items())


# Shared with what checks a golden image (engine.golden): shipped in saltline/data
SHARED = ("salt_python.sh",)


def _text(name: str) -> str:
    package = "saltline.data" if name in SHARED else __package__
    return resources.files(package).joinpath(name).read_text(encoding="utf-8")


def script(*names: str) -> str:
    """The header, then the named files in order."""
    return _header() + "".join(_text(name) for name in names)


def call(function: str, *names: str) -> list[str]:
    """The command line that runs one function of `.sh` libraries: append its arguments.

    >>> command = call("listing", "release.sh")
    >>> command[:2], command[2].endswith('listing "$@"'), command[3:]
    (['sh', '-c'], True, ['saltline'])
    """
    return ["sh", "-c", script(*names) + f'{function} "$@"', "saltline"]


def python(name: str) -> str:
    """A Python program that runs under the host's Salt Python."""
    return _text(name)


def encoded(text: str) -> str:
    """Base64, for a script or program passed where a command line would read it."""
    return base64.b64encode(text.encode()).decode()
