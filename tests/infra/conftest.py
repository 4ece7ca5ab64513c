"""Helpers shared by the testinfra suites: they run against a converged test minion."""

from __future__ import annotations

import json
from typing import Any

import pytest


@pytest.fixture
def pillar(host: Any):
    """Look up a pillar key as the minion sees it: `pillar("nginx:site:message")`.

    A test minion renders pillar itself (`file_client: local`); a fleet minion asks its master.
    """
    settings = host.file("/etc/salt/minion.d/saltline.conf").content_string
    local = ["--local"] if "file_client: local" in settings else []

    def lookup(key: str) -> Any:
        out = host.check_output(
            " ".join(["salt-call", *local, "--out=json", "--log-level=quiet", "pillar.get", "%s"]),
            key,
        )
        return json.loads(out)["local"]

    return lookup
