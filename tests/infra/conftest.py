"""Helpers shared by the testinfra suites: they run against a converged test minion."""

from __future__ import annotations

import json
from typing import Any

import pytest


@pytest.fixture
def pillar(host: Any):
    """Look up a pillar key as the minion sees it: `pillar("nginx:site:message")`."""

    def lookup(key: str) -> Any:
        out = host.check_output("salt-call --local --out=json --log-level=quiet pillar.get %s", key)
        return json.loads(out)["local"]

    return lookup
