#!/usr/bin/env bash
# Encrypt a pillar secret read from stdin for Salt's gpg renderer, to the public keys
# tests/secrets/recipients names for the environment: prod's secrets to the prod
# masters' key only, the tested environments' to the test key. Prints an ASCII-armored
# block, indented by INDENT spaces (default 0), ready to paste under a `key: |` line in
# a `#!yaml|gpg` pillar file.
#   printf %s 'the password' | tests/secrets/encrypt.sh staging 6
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
env=${1:?usage: encrypt.sh ENVIRONMENT [INDENT]}
indent=$(printf '%*s' "${2:-0}" '')
keys=$(awk -v env="$env" '!/^#/ && NF >= 2 && ($1 == env || $1 == "*") {
  for (i = 2; i <= NF; i++) printf "%s ", $i; exit }' "$here/recipients")
[ -n "$keys" ] || { echo "encrypt.sh: no recipients for $env in $here/recipients" >&2; exit 2; }
export GNUPGHOME
GNUPGHOME=$(mktemp -d)
trap 'gpgconf --kill gpg-agent 2>/dev/null; rm -rf "$GNUPGHOME"' EXIT
recipients=()
for key in $keys; do
  gpg --batch --quiet --import "$here/$key"
  recipients+=(--recipient "$(gpg --batch --with-colons --show-keys "$here/$key" | awk -F: '/^fpr/{print $10; exit}')")
done
gpg --batch --armor --trust-model always --encrypt "${recipients[@]}" | sed "/./s/^/$indent/"
