"""Which Salt a platform's Python supports, and its wheels: built for the target's Python,
whole under concurrency."""

from __future__ import annotations

import io
import os
import sys
import tarfile
import threading
from pathlib import Path

import pytest

from saltline import config
from saltline.engine import wheelhouse
from saltline.engine.images import Images
from saltline.errors import ImageError
from tests.unit.config.test_targets import MATRIX


def sdist_with(tmp_path: Path, pythons: list[str], name: str = "linux.txt") -> Path:
    path = tmp_path / "salt-3008.3.tar.gz"
    with tarfile.open(path, "w:gz") as archive:
        for python in pythons:
            data = f"looseversion==1.3.0  # py{python}\n".encode()
            info = tarfile.TarInfo(f"salt-3008.3/requirements/static/pkg/py{python}/{name}")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return path


@pytest.mark.parametrize("name", ["linux.txt", "linux.lock"])
def test_the_locked_requirements_for_the_platforms_python(tmp_path, name):
    sdist = sdist_with(tmp_path, ["3.10", "3.11"], name)
    assert wheelhouse.locked_requirements(sdist, "3.11", "bookworm") == (
        "looseversion==1.3.0  # py3.11\n"
    )


def test_a_python_salt_ships_no_locks_for_is_refused_with_the_reason(tmp_path):
    sdist = sdist_with(tmp_path, ["3.11", "3.10"])
    with pytest.raises(
        ImageError,
        match=r"salt-3008.3 does not support Python 3.9 \(bullseye\): it ships locked "
        r"requirements for Python 3.10, 3.11 only",
    ):
        wheelhouse.locked_requirements(sdist, "3.9", "bullseye")


def test_wheels_are_fetched_for_the_target_interpreter_not_the_hosts():
    options = wheelhouse._target_interpreter("3.13", "trixie")
    assert options[:4] == ["--python-version", "3.13.5", "--implementation", "cp"]
    assert options[4:6] == ["--abi", "cp313"] and "abi3" in options
    platforms = [options[i + 1] for i, option in enumerate(options) if option == "--platform"]
    assert platforms[0].startswith("manylinux_2_41_")  # trixie's glibc, newest first
    assert not any(tag.startswith("manylinux_2_42") for tag in platforms)


def test_sources_that_compile_are_built_on_the_platform_and_must_give_its_wheels(tmp_path):
    source = tmp_path / "MarkupSafe-2.1.5.tar.gz"
    source.write_text("sdist")

    def build(sources, out):
        assert sources == [source]
        (out / "MarkupSafe-2.1.5-cp313-cp313-linux_x86_64.whl").write_text("wheel")

    wheelhouse._build_on_platform(build, [source], tmp_path, "3.13", "cell")
    assert (tmp_path / "MarkupSafe-2.1.5-cp313-cp313-linux_x86_64.whl").is_file()
    assert not source.exists()
    source.write_text("sdist")
    gave_nothing = r"cell: building MarkupSafe-2\.1\.5\.tar\.gz on the platform gave no wheel"
    with pytest.raises(ImageError, match=gave_nothing):
        wheelhouse._build_on_platform(lambda sources, out: None, [source], tmp_path, "3.13", "cell")


def test_a_pair_known_not_to_work_is_refused_before_anything_is_fetched(write_config):
    cfg = config.load(write_config(MATRIX))
    images = Images(None, cfg)  # type: ignore[arg-type]  # refused before the engine is asked
    with pytest.raises(
        ImageError,
        match=r"debian13 × Salt 3007.13: Salt 3007 reads salt:// URLs wrongly on Python 3.13",
    ):
        images.check_supported([(cfg.platforms["debian13"], "3007.13")])


def test_environment_markers_are_decided_for_the_target_python_not_the_hosts():
    locked = (
        "# via salt\n"
        'certifi==2023.07.22 ; python_version < "3.10"\n'
        'certifi==2024.7.4 ; python_version >= "3.10"  # via requests\n'
        'pywin32==306 ; sys_platform == "win32"\n'
        "looseversion==1.3.0\n"
    )
    assert wheelhouse.for_target(locked, "3.9.2").splitlines() == [
        "# via salt", "certifi==2023.07.22", "looseversion==1.3.0"
    ]  # fmt: skip
    assert "certifi==2024.7.4" in wheelhouse.for_target(locked, "3.13.5")
    assert "certifi==2023.07.22" not in wheelhouse.for_target(locked, "3.13.5")


def test_a_locked_requirement_for_another_python_says_which_python_it_needs():
    pip_said = (
        "ERROR: Ignored the following versions that require a different python version: "
        "46.0.6 Requires-Python >=3.8,!=3.9.0,!=3.9.1; "
        "46.0.7 Requires-Python >=3.8,!=3.9.0,!=3.9.1\n"
        "ERROR: No matching distribution found for cryptography==46.0.7\n"
    )
    pip = [sys.executable, "-c", f"import sys; sys.stderr.write({pip_said!r}); sys.exit(1)"]
    with pytest.raises(
        ImageError,
        match=r"^Salt 3008.3 for Python 3.9 \(bullseye\) cannot be installed: its locked "
        r"requirement cryptography==46.0.7 requires Python >=3.8,!=3.9.0,!=3.9.1; choose",
    ):
        wheelhouse._pip(pip, "Salt 3008.3 for Python 3.9 (bullseye)")


def test_two_runs_building_one_wheelhouse_at_once_each_get_a_whole_one(tmp_path, monkeypatch):
    both_building = threading.Barrier(2)

    def fill(target, *_):
        mine = threading.current_thread().name
        (target / "requirements.txt").write_text(mine)
        both_building.wait(timeout=10)
        assert (target / "requirements.txt").read_text() == mine  # not the other run's
        (target / "salt-3008.3-py3-none-any.whl").write_text(mine)

    monkeypatch.setattr(wheelhouse, "sdist", lambda *_: tmp_path / "salt-3008.3.tar.gz")
    monkeypatch.setattr(wheelhouse, "locked_requirements", lambda *_: "")
    monkeypatch.setattr(wheelhouse, "_fill", fill)
    built: list[Path] = []
    runs = [
        threading.Thread(
            target=lambda: built.append(wheelhouse.ensure(tmp_path, "3008.3", "trixie", None))
        )
        for _ in range(2)
    ]
    for run in runs:
        run.start()
    for run in runs:
        run.join(timeout=20)

    target = tmp_path / "salt-3008.3-py3.13"
    assert built == [target, target]
    assert sorted(path.name for path in target.iterdir()) == [
        ".complete", "requirements.txt", "salt-3008.3-py3-none-any.whl"
    ]  # fmt: skip
    assert [path.name for path in tmp_path.iterdir()] == ["salt-3008.3-py3.13"]


def test_a_half_wheelhouse_is_built_again_and_an_abandoned_build_removed(tmp_path, monkeypatch):
    half = tmp_path / "salt-3008.3-py3.13"
    half.mkdir()
    (half / "certifi-2024.7.4-py3-none-any.whl").write_text("")  # killed before .complete
    abandoned = tmp_path / ".salt-3008.3-py3.13-k1ll3d"
    abandoned.mkdir()
    os.utime(abandoned, (0, 0))
    monkeypatch.setattr(wheelhouse, "sdist", lambda *_: tmp_path / "salt-3008.3.tar.gz")
    monkeypatch.setattr(wheelhouse, "locked_requirements", lambda *_: "")
    monkeypatch.setattr(wheelhouse, "_fill", lambda target, *_: (target / "salt.whl").touch())

    assert wheelhouse.ensure(tmp_path, "3008.3", "trixie", None) == half
    assert sorted(path.name for path in half.iterdir()) == [".complete", "salt.whl"]
    assert [path.name for path in tmp_path.iterdir()] == ["salt-3008.3-py3.13"]
