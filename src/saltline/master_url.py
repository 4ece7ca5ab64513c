"""Master URLs: `ssh://user@host[:port]` for a real master, `docker://name` for a local one.

>>> parse_master_url("ssh://deploy@salt1.example.net:2222").port
2222
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_SSH = re.compile(
    r"^ssh://(?P<user>[a-z_][a-z0-9_.-]*)@(?P<host>[A-Za-z0-9.-]+|\[[0-9a-fA-F:]+\])(?::(?P<port>\d{1,5}))?$"
)
_DOCKER = re.compile(r"^docker://(?P<name>[a-zA-Z0-9][a-zA-Z0-9_.-]*)$")


@dataclass(frozen=True)
class MasterAddress:
    url: str
    scheme: str  # "ssh" or "docker"
    host: str  # the ssh host, or the container name
    user: str | None = None
    port: int = 22

    def __str__(self) -> str:
        return self.url


def parse_master_url(url: str) -> MasterAddress:
    """Parse and check a master URL; a bad one raises ValueError saying what is expected."""
    if match := _DOCKER.match(url):
        return MasterAddress(url, "docker", match["name"])
    if match := _SSH.match(url):
        port = int(match["port"] or 22)
        if not 0 < port < 65536:
            raise ValueError(f"{url!r}: port {port} is out of range")
        return MasterAddress(url, "ssh", match["host"], match["user"], port)
    raise ValueError(
        f"{url!r} is not a master URL; expected ssh://user@host[:port] or docker://name"
    )
