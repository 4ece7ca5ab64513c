"""A release's custom modules (`salt/_modules`, `_pillar`, `_runners`, `_renderers`, …) on
its masters.

A master does not load them from its file server but from its `extension_modules`,
where `salt-run saltutil.sync_all` copies them (and removes those no longer in the
file server). The pillar a master compiles depends on them (a custom ext_pillar, the
modules and renderers its templates call), and so do its runners and orchestrations.
So a rollout or rollback syncs the master once the release is live, and a dry run syncs
the candidate master's own copy of the live master's modules from the candidate.

A sync (`remote/master_modules.sh`) happens only when the release's modules differ from
the ones saltline last synced there. `paths.MODULES_MARKER` holds their digest, so a
release that leaves its modules alone (most do) costs no sync, a later release without
custom modules removes them again, and a master whose releases never had any is left
alone (a sync would also remove modules put there by hand). While a sync runs, the
marker matches no digest, so a killed one is repeated next time.
"""

from __future__ import annotations

from saltline.promotion import remote

# sh: the live master's file server updated and, when needed, its modules synced
LIVE_REFRESH = remote.script("master_modules.sh") + "refresh_live_master\n"
