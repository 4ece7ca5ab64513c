"""Helpers shared by the testinfra suites: they run against a converged minion.

saltline passes the minion's peers (the other minions of the same environment and
platform, on the same network) as SALTLINE_PEERS; checks across minions use them.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
import testinfra

TEST_CA = Path(__file__).resolve().parents[1] / "secrets" / "test-ca.pem"


_PILLARS: dict[str, dict[str, Any]] = {}  # each minion's pillar, read once per session


def pillar_get(host: Any, key: str) -> Any:
    """A pillar key (`a:b:c`) as the minion sees it, or None.

    A test minion renders pillar itself (`file_client: local`); a fleet minion asks its
    master. Assert on values taken from here, never on whole mappings: a failing
    assertion prints what it compares, and pillar holds secrets.
    """
    name = host.backend.get_pytest_id()
    if name not in _PILLARS:
        settings = host.file("/etc/salt/minion.d/saltline.conf").content_string
        local = " --local" if "file_client: local" in settings else ""
        command = f"salt-call{local} --out=json --log-level=quiet pillar.items"
        # Salt 3008 masks pillar values in output unless asked; 3007 knows no `unmask`
        done = host.run(f"{command} unmask=True")
        out = done.stdout if done.rc == 0 else host.check_output(command)
        _PILLARS[name] = json.loads(out)["local"]
    value: Any = _PILLARS[name]
    for part in key.split(":"):
        value = value.get(part) if isinstance(value, dict) else None
    return value


@pytest.fixture
def pillar(host: Any):
    """Look up a pillar key on the minion under test: `pillar("nginx:site:message")`."""
    return lambda key: pillar_get(host, key)


@pytest.fixture
def pillar_of():
    """Look up a pillar key on another minion: `pillar_of(web_host, "webapp:database")`."""
    return pillar_get


@pytest.fixture(scope="session")
def peers() -> dict[str, dict[str, Any]]:
    """Minion id → {"host": testinfra URL, "roles": [...]}, this minion included."""
    return json.loads(os.environ.get("SALTLINE_PEERS") or "{}")


@pytest.fixture
def minions_with_role(peers):
    """The (minion id, testinfra host) of every minion of this run with a role."""

    def find(role: str) -> list[tuple[str, Any]]:
        return [
            (name, testinfra.get_host(peer["host"]))
            for name, peer in sorted(peers.items())
            if role in peer["roles"]
        ]

    return find


@pytest.fixture(scope="session")
def test_ca() -> str:
    """The test CA (PEM) that signs the estate's TLS certificates."""
    return TEST_CA.read_text()


@pytest.fixture
def minion_id(host: Any) -> str:
    return json.loads(
        host.check_output("salt-call --local --out=json --log-level=quiet grains.get id")
    )["local"]
