"""How many systemd containers the engine's host can run at once, and why one died.

Each test minion runs systemd, which takes inotify instances (about PER_CONTAINER of
them) and memory. A host runs out of inotify instances long before cores or memory:
at the kernel's default of 128 `fs.inotify.max_user_instances`, the 18th container's
systemd never finishes booting and the ones after it die at once. So a run keeps at
most `container_budget()` containers alive at a time, and a container that dies or
never boots is explained by `diagnose()`: the limit it hit and the setting that lifts it.

>>> budget({"inotify": 128, "memory_mb": 24000})
(14, 'fs.inotify.max_user_instances is 128 (about 8 per systemd container)')
"""

from __future__ import annotations

import os
import re
from pathlib import Path

PER_CONTAINER = 8  # inotify instances a minion's systemd takes (measured: 17 fit in 128)
MEMORY_MB = 400  # a converging minion, with room for the engine
HEADROOM = 2  # instances' worth of containers left for the engine and the host
INOTIFY = Path("/proc/sys/fs/inotify/max_user_instances")
REMOTE_DEFAULT = 8  # a remote engine's host cannot be read from here
RAISE_INOTIFY = "sysctl -w fs.inotify.max_user_instances=1024"


def _read_int(path: Path) -> int | None:
    try:
        return int(path.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def _available_memory_mb() -> int | None:
    try:
        text = Path("/proc/meminfo").read_text()
    except OSError:
        return None
    found = re.search(r"^MemAvailable:\s+(\d+) kB", text, re.M)
    return int(found.group(1)) // 1024 if found else None


def host_facts() -> dict[str, int]:
    """What limits containers on this machine (what can be read)."""
    facts = {"inotify": _read_int(INOTIFY), "memory_mb": _available_memory_mb()}
    return {name: value for name, value in facts.items() if value is not None}


def budget(facts: dict[str, int]) -> tuple[int, str]:
    """The most containers to keep alive at once, and the limit that decides it."""
    limits = []
    if "inotify" in facts:
        limits.append((
            facts["inotify"] // PER_CONTAINER - HEADROOM,
            f"fs.inotify.max_user_instances is {facts['inotify']} (about {PER_CONTAINER} "
            "per systemd container)",
        ))  # fmt: skip
    if "memory_mb" in facts:
        limits.append((facts["memory_mb"] // MEMORY_MB, f"{facts['memory_mb']} MB available"))
    if not limits:
        return REMOTE_DEFAULT, "the engine's host limits cannot be read"
    count, why = min(limits)
    return max(1, count), why


def container_budget() -> tuple[int, str]:
    """`budget` of this machine, or a default for a remote engine (DOCKER_HOST over tcp
    or ssh), whose host this machine cannot read."""
    host = os.environ.get("DOCKER_HOST", "")
    if host and not host.startswith("unix://"):
        return REMOTE_DEFAULT, f"a remote engine ({host}): its host's limits are unknown here"
    return budget(host_facts())


def diagnose(log: str) -> str:
    """What a container's output says about the host limit that stopped it ("" if none)."""
    if re.search(r"inotify|Too many open files", log, re.I):
        current = _read_int(INOTIFY)
        said = f" (now {current})" if current is not None else ""
        return (
            f"the host ran out of inotify instances{said}: raise them (`{RAISE_INOTIFY}`, "
            "as ci/ensure-docker.sh does) or run fewer containers at once (--max-containers)"
        )
    if re.search(r"Cannot allocate memory|Out of memory|oom", log, re.I):
        return "the host ran out of memory: run fewer containers at once (--max-containers)"
    if re.search(r"Resource temporarily unavailable|fork", log, re.I):
        return (
            "the host ran out of processes (kernel.pid_max, or the engine's pids limit): "
            "run fewer containers at once (--max-containers)"
        )
    return ""
