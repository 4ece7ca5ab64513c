"""The candidate master: a dry run of a release that nothing live can see.

A dry run must change nothing that a minion or a salt command sees, so the live
master keeps serving `current` throughout. Beside it, on the same host, saltline
starts a second salt-master process, the candidate master. Its configuration is the
live master's as Salt's own loader reads it on that host (`remote/salt_config.py`, run
by the Salt installation's Python: includes, `default_include`, `root_dir`, environment
variables, anchors and flow style exactly as the live master reads them), so the same
environment names, renderers, GPG keys and accepted minion keys, less what a master
does on its own and the stores it shares with others (reactor, engines, schedule,
returners, a shared minion data cache, the cluster), with every path under `current/`
pointed at `candidate/`, on its own ports (`ipc_mode: tcp`'s too), cache and socket
directories, written as one file with no includes. Its cache starts with a copy of the
live master's minion data (so that `mine.get` in the release's templates sees the live
mine) and of its custom modules, synced from the candidate (`master_modules`).

Each minion then runs `salt-call state.apply test=True` against it, through a copy of
its own configuration derived the same way by the minion's Salt, with the candidate
as its master (`master: host:port` loses its port) and a cache and extension modules
of its own; first it reads back a marker only the candidate serves (a random token),
so a dry run answered by the live master fails by name instead of predicting "no
changes". Every copy is 0600 in a 0700 directory: the minion's is removed when its
dry run ends, the candidate's when it stops, and a killed run's at the next start.

The candidate master runs under `timeout`, so a promotion killed before it stops
the process leaves nothing running for long; the next dry run replaces it.

A real master needs saltline's roots in its configuration (README: Promotion) and
minions able to reach `promotion.candidate_port` on the master.
"""

from __future__ import annotations

import time

from saltline.errors import MasterError
from saltline.promotion import remote
from saltline.promotion.paths import CANDIDATE_HOME
from saltline.promotion.transport import Transport

START_TIMEOUT = 60

_START = remote.script("salt_python.sh", "candidate.sh", "master_modules.sh", "candidate_start.sh")
_STOP = remote.script("candidate.sh", "candidate_stop.sh")
_LISTENING = remote.script("candidate_listening.sh")
_MINION_DRY_RUN = remote.script("salt_python.sh", "minion_dry_run.sh")
_SALT_CONFIG = remote.python("salt_config.py")
_FAILURES: dict[int, str] = {
    remote.Exit.NO_SALT_PYTHON: "no Python with Salt found to read its configuration",
    remote.Exit.CONFIG_FAILED: "Salt could not derive the candidate master's configuration",
    remote.Exit.MODULE_SYNC_FAILED: "could not sync the release's custom modules into the "
    "candidate master",
}


def start(master: Transport, port: int, lifetime: int, token: str) -> None:
    """Start (or restart) the candidate master in the background; `wait_until_listening`
    waits for it (so that the masters of an environment start side by side). It serves
    `token` as salt://saltline-candidate/token, which each minion's dry run reads back."""
    done = master.run(
        ["sh", "-c", _START, "saltline", str(port), str(lifetime), _SALT_CONFIG, token]
    )
    if done.exit_code != 0:
        what = _FAILURES.get(done.exit_code, "could not start the candidate master")
        raise MasterError(master.address, f"{what}: {done.tail()}")


def wait_until_listening(master: Transport, port: int, timeout: int = START_TIMEOUT) -> None:
    """Until the candidate master listens on `port`, at most `timeout` seconds
    (promotion.candidate_start_timeout)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if master.run(["bash", "-c", _LISTENING, "saltline", str(port)]).exit_code == 0:
            return
        time.sleep(0.5)
    log = master.run(["tail", "-n", "5", f"{CANDIDATE_HOME}/master.log"]).stdout.strip()
    raise MasterError(
        master.address,
        f"the candidate master did not listen on port {port} within {timeout}s "
        "(promotion.candidate_start_timeout): "
        f"{log or '(no log)'}",
    )


def running(master: Transport) -> bool:
    """Whether a candidate master runs on this master (its pid file names a live process)."""
    script = 'kill -0 "$(cat "$1/salt-master.pid" 2>/dev/null)" 2>/dev/null'
    return master.run(["sh", "-c", script, "saltline", CANDIDATE_HOME]).exit_code == 0


def stop(master: Transport) -> None:
    master.run(["sh", "-c", _STOP])


def minion_command(port: int, token: str) -> str:
    """The `cmd.run_all` argument that dry-runs a minion against the candidate master.

    Base64, because salt's command line would read `key=value` and YAML in the script.
    """
    script, program = remote.encoded(_MINION_DRY_RUN), remote.encoded(_SALT_CONFIG)
    return f"cmd=echo {script} | base64 -d | sh -s {port} {program} {token}"
