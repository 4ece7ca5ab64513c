"""Master URLs: `ssh://user@host[:port]` for a real master, `docker://name` for a local one.
What a valid one looks like is said once, in the schema of `saltline.yml`.

>>> parse_master_url("ssh://deploy@salt1.example.net:2222").port
2222
>>> parse_master_url("ssh://deploy@[::1]").host
'[::1]'
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from saltline.data import SCHEMA

_DEFINITION = SCHEMA["$defs"]["master_url"]
_PATTERN = re.compile(_DEFINITION["pattern"])


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
    if not _PATTERN.match(url):
        raise ValueError(f"{url!r} is not {_DEFINITION['title']}")
    scheme, rest = url.split("://", 1)
    if scheme == "docker":
        return MasterAddress(url, "docker", rest)
    user, host = rest.split("@", 1)
    port = "22"
    if host.startswith("["):  # an IPv6 literal: its port, if any, follows the bracket
        host, _, after = host.partition("]")
        host, port = host + "]", after.lstrip(":") or port
    elif ":" in host:
        host, port = host.split(":")
    if not 0 < int(port) < 65536:
        raise ValueError(f"{url!r}: port {port} is out of range")
    return MasterAddress(url, "ssh", host, user, int(port))
