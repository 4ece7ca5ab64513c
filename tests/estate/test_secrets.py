"""Secrets stay where they belong: the test key opens the tested environments' pillar
secrets and nothing of prod's; prod's open with the prod masters' key only.

Runs gpg on this machine against the committed pillar, so a secret encrypted to the
wrong key (or a new environment's secret to the test key) fails here.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from saltline import config

REPO = Path(__file__).resolve().parents[2]
BLOCK = re.compile(r"-----BEGIN PGP MESSAGE-----.*?-----END PGP MESSAGE-----", re.S)
ESTATE = config.load(REPO / "saltline.yml")
ENVIRONMENTS = sorted(p.name for p in (REPO / "pillar" / "environments").iterdir())
Decrypts = Callable[[str], bool]


def blocks(directory: Path) -> list[str]:
    text = "\n".join(
        "\n".join(line.strip() for line in path.read_text().splitlines())
        for path in sorted(directory.rglob("*.sls"))
    )
    return BLOCK.findall(text)


def keyring(key: Path, home: Path) -> Iterator[Decrypts]:
    """A keyring holding only `key`; its gpg-agent is stopped afterwards."""
    home.mkdir(mode=0o700)
    env = {**os.environ, "GNUPGHOME": str(home)}
    subprocess.run(["gpg", "--batch", "--quiet", "--import", str(key)], env=env,
                   check=True, capture_output=True)  # fmt: skip

    def decrypts(block: str) -> bool:
        done = subprocess.run(["gpg", "--batch", "--quiet", "--decrypt"], input=block,
                              env=env, capture_output=True, text=True, check=False)  # fmt: skip
        return done.returncode == 0 and bool(done.stdout)

    try:
        yield decrypts
    finally:
        subprocess.run(["gpgconf", "--kill", "gpg-agent"], env=env, check=False)


@pytest.fixture(scope="module")
def test_key(tmp_path_factory) -> Iterator[Decrypts]:
    yield from keyring(ESTATE.gpg_key, tmp_path_factory.mktemp("gpg") / "test")


@pytest.fixture(scope="module")
def prod_key(tmp_path_factory) -> Iterator[Decrypts]:
    yield from keyring(ESTATE.master_keys["prod"], tmp_path_factory.mktemp("gpg") / "prod")


def test_only_environments_hold_secrets():
    shared = [p for p in (REPO / "pillar").glob("*.sls") if BLOCK.search(p.read_text())]
    assert shared == [], "a secret in shared pillar reaches every environment, prod included"


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_the_test_key_opens_exactly_the_tested_environments_secrets(environment, test_key):
    found = blocks(REPO / "pillar" / "environments" / environment)
    assert found, f"{environment} has no secrets to check"
    tested = environment in ESTATE.test_environments
    assert all(test_key(block) is tested for block in found)


def test_the_prod_masters_key_opens_prods_secrets(prod_key):
    found = blocks(REPO / "pillar" / "environments" / "prod")
    assert found and all(prod_key(block) for block in found)
