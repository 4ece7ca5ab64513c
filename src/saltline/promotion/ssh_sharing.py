"""One ssh connection per master for every command of one saltline process.

A promotion runs dozens of commands on each master; over a connection each, it would
pay a handshake (on a remote master, several round trips) every time. The ssh client's
connection sharing (ControlMaster) runs them over one connection per master, whose
socket lives in a directory of this process's own: another saltline process (the next
`saltline status`, say) opens, and checks the host key of, a connection of its own.
The shared connections are closed when the process exits; one that a SIGKILL left
behind closes by itself once idle for PERSIST seconds.
"""

from __future__ import annotations

import atexit
import contextlib
import shutil
import tempfile

from saltline import process
from saltline.errors import CommandTimeout

PERSIST = 30  # seconds a shared connection outlives its last command
_directory: str | None = None
_masters: list[tuple[list[str], list[str]]] = []  # ssh options, destination: each master


def options() -> list[str]:
    """The ssh client options that share one connection per destination (none, and a
    connection per command, where no private directory can be made)."""
    directory = _control_directory()
    if directory is None:
        return []
    return [
        "-o", "ControlMaster=auto",
        "-o", f"ControlPath={directory}/%C",
        "-o", f"ControlPersist={PERSIST}",
    ]  # fmt: skip


def close_at_exit(ssh_options: list[str], destination: list[str]) -> None:
    """Close the shared connection to `destination` (`-p PORT user@host`) at exit."""
    if (ssh_options, destination) not in _masters:  # one master may be opened twice
        _masters.append((ssh_options, destination))


def _control_directory() -> str | None:
    global _directory
    if _directory is None:
        # In /tmp: a socket's path has at most 107 characters (%C adds 40); mkdtemp makes
        # it 0700, so no other user can reach the shared connections.
        try:
            _directory = tempfile.mkdtemp(prefix="saltline-ssh-", dir="/tmp")
        except OSError:
            return None
        atexit.register(_close_all)
    return _directory


def _close_all() -> None:
    for ssh_options, destination in _masters:
        with contextlib.suppress(CommandTimeout):
            process.run(["ssh", *ssh_options, "-O", "exit", *destination], timeout=10)
    if _directory is not None:
        shutil.rmtree(_directory, ignore_errors=True)
