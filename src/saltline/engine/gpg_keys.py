"""The test-only GPG key that decrypts pillar secrets, imported where pillar is rendered.

Salt's gpg renderer looks for private keys in `gpg_keydir`; test minions, render
containers and the local fleet's masters get the key named by `secrets.gpg_key` in
saltline.yml. Real masters hold their own key (see README: Secrets).
"""

from __future__ import annotations

from pathlib import Path

from docker.models.containers import Container

from saltline.engine.containers import put_file, run_command
from saltline.errors import SaltlineError

GPG_KEYDIR = "/etc/salt/gpgkeys"
SALT_OPTIONS = {"gpg_keydir": GPG_KEYDIR, "gpg_decrypt_must_succeed": True}
_UPLOAD_DIR = "/etc/salt"
_UPLOAD_NAME = "saltline-gpg-key.asc"
IMPORT_TIMEOUT = 120  # gpg's agent can be slow to start on a loaded host: not forever


def import_key(container: Container, key: Path) -> None:
    """Import the ASCII-armored private key into the container's Salt GPG keyring."""
    put_file(container, _UPLOAD_DIR, _UPLOAD_NAME, key.read_text())
    uploaded = f"{_UPLOAD_DIR}/{_UPLOAD_NAME}"
    script = (
        f"install -d -m 0700 {GPG_KEYDIR} && "
        f"gpg --homedir {GPG_KEYDIR} --batch --quiet --import {uploaded}; "
        f"status=$?; rm -f {uploaded}; exit $status"
    )
    done = run_command(container, ["sh", "-c", script], timeout=IMPORT_TIMEOUT)
    if done.exit_code != 0:
        said = done.tail(5) or "(gpg said nothing)"
        raise SaltlineError(
            f"{key}: could not import the GPG key into {container.name} "
            f"(exit {done.exit_code}): {said}"
        )
