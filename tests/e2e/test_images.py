"""Images are cached by a hash of their inputs."""

from __future__ import annotations

import re

from tests.e2e.conftest import REPO, saltline


def test_a_second_build_reuses_the_cached_images(engine, tmp_path):
    first = saltline("images", "build", estate=REPO, reports=tmp_path)
    assert first.exit_code == 0, first.output
    again = saltline("images", "build", estate=REPO, reports=tmp_path)
    assert again.exit_code == 0, again.output
    assert "building" not in again.output
    assert "pulling" not in again.output
    image = engine.images.get("saltline/minion:debian12-salt3007.13")
    assert image.labels["io.saltline.salt-version"] == "3007.13"
    assert len(image.labels["io.saltline.input-hash"]) == 16


def test_images_list_shows_the_base_and_minion_images(tmp_path):
    listed = saltline("images", "list", estate=REPO, reports=tmp_path)
    assert listed.exit_code == 0, listed.output
    assert re.search(
        r"saltline/minion:debian12-salt3007\.13\s+minion\s+debian12\s+3007\.13\s",
        listed.output,
    )
    assert re.search(r"saltline/base:bookworm\s+base\s+debian12\s", listed.output)
