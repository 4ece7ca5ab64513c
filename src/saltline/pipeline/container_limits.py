"""A failed state whose cause is the test container, not the Salt code: a kernel setting,
a module, a mount or a file under /sys that a container may not change. Reported as a
**container limit**, naming the state and the `container:` option (or the `exclude`)
that would lift it, instead of Salt's raw error.

>>> from saltline.salt_results import StateResult
>>> state = StateResult("somaxconn", "sysctl.present", "net.core.somaxconn", "kernel", False,
...     {}, 'Failed to set net.core.somaxconn to 4096: sysctl: setting key '
...     '"net.core.somaxconn": Read-only file system', 0.0, 0)
>>> print(diagnose(state, "db1").lift)
set it on the container: minions.db1.container.sysctls: {net.core.somaxconn: 4096}
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from saltline.salt_results import StateResult

# Kernel settings Docker can set per container (its --sysctl): the namespaced ones. Of
# these, a state itself can write only net.* (saltline makes the container's own
# /proc/sys/net writable when its `container.sysctls` name net.* keys).
NAMESPACED = ("net.", "kernel.shm", "kernel.msg", "kernel.sem", "fs.mqueue.")
_REFUSED = ("read-only file system", "permission denied", "operation not permitted",
            "must be superuser", "cannot open", "no such file or directory")  # fmt: skip


@dataclass(frozen=True)
class ContainerLimit:
    """Why a state failed in a container, and what would let it be tested."""

    state: StateResult
    cause: str
    lift: str

    def describe(self) -> str:
        state = self.state
        return (f"container limit: state {state.state_id!r} ({state.function}) in SLS "
                f"{state.sls}: {self.cause}; {self.lift}")  # fmt: skip

    def to_dict(self) -> dict[str, str]:
        return {"state": self.state.state_id, "function": self.state.function,
                "sls": self.state.sls, "cause": self.cause, "lift": self.lift}  # fmt: skip


def diagnose(state: StateResult, minion: str) -> ContainerLimit | None:
    """The container limit a failed state hit, if its failure says it hit one."""
    comment = state.comment.lower()
    excluded = f"minions.{minion}.exclude: [{{id: {state.state_id}, reason: …}}]"
    exclude = f"or leave it to real hosts: {excluded}"
    privileged = f"minions.{minion}.container.privileged: true (it then changes the HOST)"
    if state.function.startswith("sysctl.") and _refused(comment):
        key = state.name
        if key.startswith(NAMESPACED):
            value = _value(state.comment, key)
            return ContainerLimit(
                state,
                f"{key} is namespaced, and a container's /proc/sys is read-only",
                f"set it on the container: minions.{minion}.container.sysctls: {{{key}: {value}}}",
            )
        return ContainerLimit(
            state,
            f"{key} is not namespaced: a container cannot set it, only its host",
            f"{privileged}, {exclude}",
        )
    if state.function.startswith("kmod.") or "modprobe" in comment:
        return ContainerLimit(
            state,
            "kernel modules are the host's: a container cannot load them",
            f"{privileged} with the host's /lib/modules, {exclude}",
        )
    if state.function.startswith("mount.") and _refused(comment):
        return ContainerLimit(
            state,
            "a container may not mount this",
            f"{privileged} (or the cap_add/devices the filesystem needs), {exclude}",
        )
    if re.search(r"(^|\s|')/(proc/sys|sys)/", state.name + " " + state.comment) and _refused(
        comment
    ):
        return ContainerLimit(
            state, "/sys and /proc/sys are read-only in a container", f"{privileged}, {exclude}"
        )
    return None


def _refused(comment: str) -> bool:
    return any(words in comment for words in _REFUSED)


def _value(comment: str, key: str) -> str:
    """The value the state sets, from Salt's "Failed to set KEY to VALUE" comment."""
    found = re.search(rf"{re.escape(key)} to (\S+?):?\s", comment + " ")
    return found.group(1) if found else "VALUE"
