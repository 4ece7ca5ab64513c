"""Images are cached by a hash of their inputs."""

from __future__ import annotations

import re

from tests.e2e.conftest import REPO, saltline


def test_a_second_build_reuses_the_cached_images(engine, tmp_path):
    first = saltline("images", "build", "--default-cell", estate=REPO, reports=tmp_path)
    assert first.exit_code == 0, first.output
    again = saltline("images", "build", "--default-cell", estate=REPO, reports=tmp_path)
    assert again.exit_code == 0, again.output
    assert "building" not in again.output
    assert "pulling" not in again.output
    image = engine.images.get("saltline/minion:debian12-salt3007.13")
    assert image.labels["io.saltline.salt-version"] == "3007.13"
    assert len(image.labels["io.saltline.input-hash"]) == 16


def test_images_list_shows_the_matrix_with_sizes_and_ages(tmp_path):
    listed = saltline("images", "list", estate=REPO, reports=tmp_path)
    assert listed.exit_code == 0, listed.output
    for platform, salt in (("debian12", "3007.13"), ("debian13", "3008.3")):  # make test builds
        image = rf"saltline/minion:{platform}-salt{salt}"
        line = rf"^{platform} × Salt {salt}\s+{image}\s+\d+MB\s+\d+ (h|days)$"
        assert re.search(line, listed.output, re.M), listed.output
    for salt in ("3006.25", "3008.3"):  # every cell of the matrix has a line, built or not
        assert f"debian12 × Salt {salt} " in listed.output
    assert re.search(r"^\(base\)\s+saltline/base:bookworm\s", listed.output, re.M)
