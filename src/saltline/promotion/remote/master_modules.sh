# shellcheck shell=sh
# A release's custom modules on a master (see saltline.promotion.master_modules).
# modules_digest RELEASE: of the files under `salt/_<kind>/` of a release; none: empty
modules_digest() (
  cd "$1/salt" 2>/dev/null || exit 0
  [ -n "$(find . -mindepth 1 -maxdepth 1 -type d -name '_*' | head -n 1)" ] || exit 0
  find . -path './_*' -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum
)

# synced_digest: the digest of the modules saltline last synced on this master
synced_digest() {
  cat "$MODULES_MARKER" 2>/dev/null || :
}

# refresh_live_master: the live master's file server updated and, when the modules of
# the release `current` points at differ from those last synced, its modules synced
refresh_live_master() {
  salt-run --out=quiet fileserver.update || :
  wanted=$(modules_digest "$CURRENT")
  [ "$wanted" != "$(synced_digest)" ] || return 0
  [ -z "$wanted" ] || echo syncing > "$MODULES_MARKER"
  salt-run --out=quiet saltutil.sync_all || return "$EXIT_MODULE_SYNC_FAILED"
  if [ -n "$wanted" ]; then echo "$wanted" > "$MODULES_MARKER"; else rm -f "$MODULES_MARKER"; fi
}

# sync_candidate_modules CONFIG_DIR: the candidate master's copy of the live master's
# modules synced from the candidate release, as a rollout would sync the live ones
sync_candidate_modules() {
  if [ "$(modules_digest "$CANDIDATE")" != "$(synced_digest)" ]; then
    salt-run -c "$1" --out=quiet saltutil.sync_all || return "$EXIT_MODULE_SYNC_FAILED"
  fi
}
