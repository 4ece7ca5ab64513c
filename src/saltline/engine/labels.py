"""Labels and names of everything saltline creates, so that it can all be found and removed.

Every object of a `saltline test` run records its owner (host, pid, start time), so a
later run can tell the leftovers of a killed run from the objects of a live one.
"""

from __future__ import annotations

import hashlib
import os
import socket
import time

MANAGED = "io.saltline.managed"
RUN = "io.saltline.run"
MINION = "io.saltline.minion"
PLATFORM = "io.saltline.platform"
SALT_VERSION = "io.saltline.salt-version"  # a minion image's, and a target's container
ENVIRONMENT = "io.saltline.environment"
KIND = "io.saltline.kind"
OWNER_HOST = "io.saltline.owner-host"
OWNER_PID = "io.saltline.owner-pid"
STARTED = "io.saltline.started"  # seconds since the epoch
KEPT = "io.saltline.kept"  # `test --keep`: left for `login`, until `destroy`
# The local fleet: a fleet outlives test runs, and only `fleet down` removes it.
FLEET = "io.saltline.fleet"
# On images only. Containers inherit their image's labels, so images must not carry
# MANAGED: a container someone starts by hand from a saltline image is not ours.
IMAGE = "io.saltline.image"
INPUT_HASH = "io.saltline.input-hash"

Filters = dict[str, str | list[str] | bool]  # the Docker SDK's `filters=` argument
MANAGED_FILTER: Filters = {"label": f"{MANAGED}=true"}
IMAGE_FILTER: Filters = {"label": IMAGE}


def for_run(run_id: str, **extra: str) -> dict[str, str]:
    """Labels for an object that belongs to one `saltline test` run of this process."""
    return {
        MANAGED: "true",
        RUN: run_id,
        OWNER_HOST: socket.gethostname(),
        OWNER_PID: str(os.getpid()),
        STARTED: str(int(time.time())),
        **extra,
    }


def unique_name(prefix: str, *parts: str) -> str:
    """A Docker name from parts that may themselves contain dashes, made unambiguous by a
    hash of the parts: `a-b` + `c` and `a` + `b-c` get different names.

    >>> unique_name("saltline-1", "a-b", "c") != unique_name("saltline-1", "a", "b-c")
    True
    """
    digest = hashlib.sha256("\0".join(parts).encode()).hexdigest()[:6]
    return "-".join((prefix, *parts, digest))
