#!/usr/bin/env python3
"""What sharing one ssh connection per master saves: commands over a connection each
against commands over one shared connection, on the local fleet's masters over ssh.

A promotion runs dozens of commands on each master (lease, upload, verify, candidate
master, switch, records); saltline runs them over one connection per master and
process (`saltline.promotion.ssh_sharing`). This times the same short command on a
master both ways, back to back, and prints the ratio measured in one run. On a remote
master every new connection also pays its network round trips, so the saving grows.

    .venv/bin/python bench/ssh_sharing.py [--commands 30]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.e2e.fleet_estate import estate_with_fleet  # noqa: E402

from saltline.master_url import parse_master_url  # noqa: E402
from saltline.promotion.transport import SshTransport, ssh_command  # noqa: E402

MASTERS = ["saltline-bench-ssh-master1"]
COMMAND = ["cat", "/srv/saltline/history.jsonl"]  # what status reads, a short command


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commands", type=int, default=30)
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory() as tmp,
        estate_with_fleet(Path(tmp), {"staging": MASTERS}, ssh=True, page_only=True) as repo,
    ):
        address = parse_master_url(f"ssh://root@{MASTERS[0]}")
        config = repo / ".saltline" / "fleet-ssh" / "config"
        started = time.monotonic()
        for _ in range(args.commands):
            subprocess.run(ssh_command(address, config, COMMAND), capture_output=True, check=False)
        each = time.monotonic() - started
        started = time.monotonic()
        shared = SshTransport(address, timeout=60, config=config)  # opens the connection
        for _ in range(args.commands):
            shared.run(COMMAND)
        one = time.monotonic() - started
    n = args.commands
    print(f"{n} commands, a connection each:      {each:5.2f}s ({each / n * 1000:.0f} ms each)")
    print(f"{n} commands, one shared connection:  {one:5.2f}s ({one / n * 1000:.0f} ms each)")
    print(f"ratio shared / a connection each: {one / each:.2f}")


if __name__ == "__main__":
    main()
