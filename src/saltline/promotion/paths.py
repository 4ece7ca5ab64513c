"""Where saltline keeps its releases on a salt-master (see `release` for the layout)."""

RELEASE_ROOT = "/srv/saltline"
RELEASES = f"{RELEASE_ROOT}/releases"
CURRENT = f"{RELEASE_ROOT}/current"
CANDIDATE = f"{RELEASE_ROOT}/candidate"
CANDIDATE_HOME = f"{RELEASE_ROOT}/candidate-master"
HISTORY = f"{RELEASE_ROOT}/history.jsonl"
AUDIT = f"{RELEASE_ROOT}/audit.jsonl"
MODULES_MARKER = f"{RELEASE_ROOT}/master-modules"
LOCK = f"{RELEASE_ROOT}/deploy.lock"
# The schedule jobs a promotion or rollback paused, until it enables them again
PAUSED = f"{RELEASE_ROOT}/paused-schedules.json"
# A master's own list of the keys whose passes it serves (root-owned, outside any release)
MASTER_SIGNERS = "/etc/saltline/allowed_signers"
