# shellcheck shell=sh
# The deploy lease on a master (see saltline.promotion.lease); called by name.

# acquire TOKEN OWNER_JSON: the lease written aside and renamed into place, or
# EXIT_LEASE_HELD when one is there already
acquire() {
  mkdir -p "$RELEASE_ROOT" || return 1
  aside="$RELEASE_ROOT/.lock-$1"
  mkdir "$aside" && printf "%s\n" "$2" > "$aside/owner.json" || return 1
  if mv -T "$aside" "$LOCK" 2>/dev/null; then return 0; fi
  rm -rf "$aside"
  return "$EXIT_LEASE_HELD"
}

# release_own TOKEN: the lease removed if, and only if, TOKEN holds it
release_own() {
  if grep -qF "\"token\": \"$1\"" "$LOCK/owner.json" 2>/dev/null; then rm -rf "$LOCK"; fi
}
