"""Tar extraction stays inside its directory with and without Python's data filter."""

from __future__ import annotations

import contextlib
import io
import tarfile
from pathlib import Path

import pytest

from saltline import archives
from saltline.errors import SaltlineError


def tar_of(*names: str) -> tarfile.TarFile:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for name in names:
            info = tarfile.TarInfo(name)
            info.size = 2
            archive.addfile(info, io.BytesIO(b"x\n"))
    return tarfile.open(fileobj=io.BytesIO(buffer.getvalue()))


@pytest.mark.parametrize("has_filter", [True, False])
def test_files_below_the_target_unpack_and_a_way_out_is_refused(tmp_path, monkeypatch, has_filter):
    monkeypatch.setattr(archives, "_HAS_FILTER", has_filter)
    archives.extract_all(tar_of("salt/top.sls"), tmp_path / "ok")
    assert (tmp_path / "ok" / "salt" / "top.sls").read_text() == "x\n"
    with pytest.raises((SaltlineError, tarfile.FilterError)):
        archives.extract_all(tar_of("../escaped"), tmp_path / "refused")
    assert not (tmp_path / "escaped").exists()
    absolute = Path("/") / f"{tmp_path.name}-escaped"
    with contextlib.suppress(SaltlineError):  # refused, or (data filter) unpacked below
        archives.extract_all(tar_of(str(absolute)), tmp_path / "absolute")
    assert not absolute.exists()
