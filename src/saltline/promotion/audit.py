"""The append-only audit log of promotions: one JSON line per event, locally and on masters."""

from __future__ import annotations

import getpass
import json
import os
import socket
import time
from pathlib import Path
from typing import Any

from saltline.errors import SaltlineError

LOCAL_LOG = Path(".saltline") / "audit.jsonl"


def pipeline_id() -> str:
    """Which CI pipeline (or which machine) did this."""
    if url := os.environ.get("CI_PIPELINE_URL"):
        return url
    if run := os.environ.get("GITHUB_RUN_ID"):
        server = os.environ.get("GITHUB_SERVER_URL", "")
        return f"{server}/{os.environ.get('GITHUB_REPOSITORY', '')}/actions/runs/{run}"
    return f"local:{socket.gethostname()}"


def utc_timestamp() -> str:
    """Now, as every record of promotion writes it: `2026-11-23T20:38:03Z`."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def _actor() -> str:
    return (
        os.environ.get("GITLAB_USER_LOGIN") or os.environ.get("GITHUB_ACTOR") or getpass.getuser()
    )


def entry(
    action: str, environment: str, sha: str | None, outcome: str, **details: Any
) -> dict[str, Any]:
    return {
        **who(),
        "action": action,
        "environment": environment,
        "sha": sha,
        "outcome": outcome,
        **details,
    }


def who() -> dict[str, Any]:
    """When, by whom and from which pipeline: what every record of a change carries."""
    return {"time": utc_timestamp(), "by": _actor(), "pipeline": pipeline_id()}


def append_local(root: Path, event: dict[str, Any]) -> None:
    path = root / LOCAL_LOG
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as log:
            log.write(json.dumps(event, sort_keys=True) + "\n")
    except OSError as exc:
        raise SaltlineError(
            f"{path}: cannot write the audit log ({exc.strerror}); fix it and run again"
        ) from None
