"""A team's own golden image (`salt: preinstalled`): systemd and Salt already in it,
checked before any test, its Salt version read from it, and the reference estate's
web role converged and verified on it. The image is built here from the debootstrapped
base by its own Dockerfile (tests/e2e/golden), not by saltline."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import docker
import docker.errors
import pytest
import yaml

from saltline.adopt import config_writer
from saltline.cache import cache_dir
from tests.e2e.conftest import REPO, saltline

RECIPE = Path(__file__).parent / "golden" / "Dockerfile"
WHEELHOUSE = cache_dir() / "wheelhouse" / "salt-3007.13-py3.11"  # what `make test` built
ESTATE = ("salt", "pillar", "tests/infra", "tests/secrets", "tests/golden", "saltline.yml",
          ".yamllint", ".salt-lint")  # fmt: skip
KEY = "dev/web1@team12/salt3007.13"


@pytest.fixture(scope="module")
def golden_image(engine: docker.DockerClient) -> str:
    """Built once per recipe and wheelhouse (kept, as saltline's own images are)."""
    assert (WHEELHOUSE / "requirements.txt").is_file(), "make test builds the default cell first"
    recipe = hashlib.sha256(
        RECIPE.read_bytes() + (WHEELHOUSE / "requirements.txt").read_bytes()
    ).hexdigest()[:12]
    tag = f"saltline-e2e/golden:bookworm-{recipe}"
    try:
        engine.images.get(tag)
    except docker.errors.ImageNotFound:
        context = Path(cache_dir()) / f"golden-context-{recipe}"
        shutil.rmtree(context, ignore_errors=True)
        shutil.copytree(WHEELHOUSE, context / "wheelhouse")
        shutil.copy(RECIPE, context / "Dockerfile")
        try:
            engine.images.build(path=str(context), tag=tag, rm=True,
                                buildargs={"BASE": "saltline/base:bookworm"})  # fmt: skip
        finally:
            shutil.rmtree(context, ignore_errors=True)
    return tag


def estate_on(tmp_path: Path, image: str) -> Path:
    """The reference estate with a platform `team12`: the image, Salt preinstalled, and
    web1's golden data for it (the same Debian as debian12, so the same data)."""
    estate = tmp_path / "estate"
    for part in ESTATE:
        source, target = REPO / part, estate / part
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, target)
    settings = yaml.safe_load((estate / "saltline.yml").read_text())
    settings["platforms"]["team12"] = {"salt": "preinstalled", "image": image}
    (estate / "saltline.yml").write_text(config_writer.dump(settings))
    for environment in ("dev", "staging", "prod"):
        data = estate / "tests" / "golden" / environment
        text = (data / "web1.debian12.yaml").read_text()
        (data / "web1.team12.yaml").write_text(text.replace(" on debian12 ", " on team12 ", 1))
    return estate


def test_the_web_role_converges_and_verifies_on_a_golden_image(golden_image, tmp_path):
    run = saltline("test", "web1", "--platform", "team12", "--environment", "dev",
                   estate=estate_on(tmp_path, golden_image), reports=tmp_path / "r")  # fmt: skip
    assert run.exit_code == 0, run.output
    for stage in ("converge", "idempotence", "verify"):
        assert run.stage(KEY, stage)["status"] == "passed", run.stage(KEY, stage)["message"]
    assert f"[{KEY}] converge PASS" in run.output  # its Salt version, read from the image


def test_an_image_without_salt_is_refused_naming_what_is_missing(tmp_path):
    run = saltline("test", "web1", "--platform", "team12", "--environment", "dev",
                   estate=estate_on(tmp_path, "saltline/base:bookworm"),
                   reports=tmp_path / "r")  # fmt: skip
    assert run.exit_code == 2, run.output
    assert ("golden image saltline/base:bookworm: no salt-call whose Python imports Salt"
            in run.output)  # fmt: skip
