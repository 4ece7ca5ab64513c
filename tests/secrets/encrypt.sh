#!/usr/bin/env bash
# Encrypt a pillar secret read from stdin for Salt's gpg renderer, to every public key
# in tests/secrets/*.public.asc (the test key; add your masters' public keys there so
# one ciphertext decrypts on both). Prints an ASCII-armored block, indented by $1
# spaces (default 0), ready to paste under a `key: |` line in a `#!yaml|gpg` pillar file.
#   printf %s 'the password' | tests/secrets/encrypt.sh 6
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
indent=$(printf '%*s' "${1:-0}" '')
export GNUPGHOME
GNUPGHOME=$(mktemp -d)
trap 'rm -rf "$GNUPGHOME"' EXIT
recipients=()
for key in "$here"/*.public.asc; do
  gpg --batch --quiet --import "$key"
  recipients+=(--recipient "$(gpg --batch --with-colons --show-keys "$key" | awk -F: '/^fpr/{print $10; exit}')")
done
gpg --batch --armor --trust-model always --encrypt "${recipients[@]}" | sed "/./s/^/$indent/"
