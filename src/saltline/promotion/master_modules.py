"""A release's custom modules (`salt/_modules`, `_pillar`, `_runners`, `_renderers`, …) on
its masters.

A master does not load them from its file server but from its `extension_modules`,
where `salt-run saltutil.sync_all` copies them (and removes those no longer in the
file server). The pillar a master compiles depends on them (a custom ext_pillar, the
modules and renderers its templates call), and so do its runners and orchestrations.
So a rollout or rollback syncs the master once the release is live, and a dry run syncs
the candidate master's own copy of the live master's modules from the candidate.

A sync happens only when the release's modules differ from the ones saltline last
synced there. `MARKER` holds their digest, so a release that leaves its modules alone
(most do) costs no sync, a later release without custom modules removes them again, and
a master whose releases never had any is left alone (a sync would also remove modules
put there by hand). While a sync runs, the marker matches no digest, so a killed one is
repeated next time.
"""

from __future__ import annotations

from saltline.promotion.release import CANDIDATE, CURRENT, RELEASE_ROOT

MARKER = f"{RELEASE_ROOT}/master-modules"
FAILED = 5  # the exit code of a sync that failed

_DIGESTS = f"""
modules_digest() (  # of the files under `salt/_<kind>/` in the release at $1; none: empty
  cd "$1/salt" 2>/dev/null || exit 0
  [ -n "$(find . -mindepth 1 -maxdepth 1 -type d -name '_*' | head -n 1)" ] || exit 0
  find . -path './_*' -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum
)
synced=$(cat {MARKER} 2>/dev/null) || synced=""
"""

# sh: the live master's file server updated and, when needed, its modules synced
LIVE_REFRESH = (
    _DIGESTS
    + f"""
salt-run --out=quiet fileserver.update || :
wanted=$(modules_digest {CURRENT})
if [ "$wanted" != "$synced" ]; then
  [ -z "$wanted" ] || echo syncing > {MARKER}
  salt-run --out=quiet saltutil.sync_all || exit {FAILED}
  if [ -n "$wanted" ]; then echo "$wanted" > {MARKER}; else rm -f {MARKER}; fi
fi
"""
)

# sh: a function that syncs the candidate master's copy of the live master's modules (its
# configuration directory: $1) from the candidate, as the rollout would sync the live ones
CANDIDATE_SYNC_FUNCTION = (
    _DIGESTS
    + f"""
sync_candidate_modules() {{
  if [ "$(modules_digest {CANDIDATE})" != "$synced" ]; then
    salt-run -c "$1" --out=quiet saltutil.sync_all || return {FAILED}
  fi
}}
"""
)
