# shellcheck shell=sh
# A master's release directories (see saltline.promotion.release); called by name.

# listing RELEASE_DIR: sha256sum's line for every regular file of a release, in byte order
listing() {
  cd "$1" && find salt pillar -type f -print0 2>/dev/null | LC_ALL=C sort -z \
    | xargs -0 -r sha256sum
}

# prepare_upload DIR: an empty directory for an upload
prepare_upload() {
  rm -rf "${1:?}" && mkdir -p "$1"
}

# place_upload INCOMING STAMP TARGET: the stamp written, the upload renamed into place
place_upload() {
  printf "%s\n" "$2" > "$1/RELEASE.json" && rm -rf "${3:?}" && mv -T "$1" "$3"
}

# point LINK SHA: LINK switched to releases/SHA atomically (a relative target: the tree
# can be moved or mounted elsewhere)
point() {
  ln -sfn "releases/$2" "$1.new" && mv -T "$1.new" "$1"
}

# append FILE LINE: one line appended to a log under RELEASE_ROOT
append() {
  mkdir -p "$RELEASE_ROOT" && printf "%s\n" "$2" >> "$1"
}

# newest_first: the releases, newest first
newest_first() {
  ls -1t "$RELEASES"
}

# serve SHA PROGRAM: `current` switched to releases/SHA, forward (a promotion or a
# rollback). A master holding MASTER_SIGNERS (/etc/saltline/allowed_signers) first
# checks the release's signed pass itself (PROGRAM: verify_pass.py, run by Salt's
# Python) and refuses to serve what no allowed key passed, whatever the client says.
# Prints who signed, if checked.
serve() {
  if [ -f "$MASTER_SIGNERS" ]; then
    python=$(salt_python salt-master) || return "$EXIT_NO_SALT_PYTHON"
    # shellcheck disable=SC2086  # an interpreter with its argument: /usr/bin/env python3
    $python -c "$2" "$RELEASES/$1" "$MASTER_SIGNERS" || return "$EXIT_PASS_REFUSED"
  fi
  point "$CURRENT" "$1"
}

# put FILE TEXT: FILE written whole (aside, then renamed into place)
put() {
  printf "%s\n" "$2" > "$1.saltline-new" && mv -T "$1.saltline-new" "$1"
}
