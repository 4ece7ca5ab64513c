"""ssh connection sharing: one connection per master per process, in a private place."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from saltline.master_url import parse_master_url
from saltline.promotion import ssh_sharing
from saltline.promotion.transport import ssh_command


def option(command: list[str], name: str) -> str:
    values = [command[i + 1] for i, arg in enumerate(command) if arg == "-o"]
    return next(v.split("=", 1)[1] for v in values if v.startswith(f"{name}="))


def test_commands_share_one_connection_through_a_socket_only_this_user_reaches():
    address = parse_master_url("ssh://deploy@salt1.example.test:2222")
    first = ssh_command(address, None, ["true"], sharing=True)
    second = ssh_command(address, None, ["salt-key", "-L"], sharing=True)
    assert option(first, "ControlMaster") == "auto"
    assert option(first, "ControlPath") == option(second, "ControlPath")
    directory = Path(option(first, "ControlPath")).parent
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    assert directory.stat().st_uid == os.getuid()
    assert len(option(first, "ControlPath").replace("%C", "x" * 40)) < 108  # a socket path
    assert int(option(first, "ControlPersist")) == ssh_sharing.PERSIST


def test_without_sharing_there_is_no_control_socket():
    address = parse_master_url("ssh://deploy@salt1.example.test")
    assert not any("Control" in arg for arg in ssh_command(address, None, ["true"]))
