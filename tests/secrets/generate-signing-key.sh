#!/usr/bin/env bash
# Regenerate the TEST signing key of passes and rollout records (README: Signed passes):
# saltline-test-signing (the private key, for the local fleet and the e2e tests only)
# and allowed_signers (its public key, as ci@saltline.test, for saltline.yml's
# promotion.allowed_signers). A real estate keeps its private key in its protected
# branches' CI secrets, never in the repository.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
rm -f "$here/saltline-test-signing" "$here/saltline-test-signing.pub"
ssh-keygen -q -t ed25519 -N "" -C "saltline TEST signing key" -f "$here/saltline-test-signing"
printf 'ci@saltline.test namespaces="saltline" %s\n' \
  "$(cut -d' ' -f1,2 "$here/saltline-test-signing.pub")" > "$here/allowed_signers"
rm -f "$here/saltline-test-signing.pub"
