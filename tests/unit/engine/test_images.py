"""Image builds' plumbing that needs no engine."""

from __future__ import annotations

import io
import tarfile

from saltline.engine import images


def test_wheel_sources_go_in_and_wheels_come_out_as_tars(tmp_path):
    """What a wheel build sends the engine and takes back (no bind mount: it may be
    remote): sources under src/, and the files of /out without their top directory."""
    source = tmp_path / "pkg-1.0.tar.gz"
    source.write_bytes(b"sdist")
    with tarfile.open(fileobj=io.BytesIO(images._tar({"src/pkg-1.0.tar.gz": source}))) as tar:
        assert tar.getnames() == ["src/pkg-1.0.tar.gz"]
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name in ("out", "out/pkg-1.0-cp39-linux_x86_64.whl"):
            info = tarfile.TarInfo(name)
            if name == "out":
                info.type = tarfile.DIRTYPE
            else:
                info.size = 5
            tar.addfile(info, io.BytesIO(b"wheel") if info.isfile() else None)
    data = buffer.getvalue()
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    images._untar([data[:100], data[100:]], wheels)  # the engine streams it in chunks
    assert [p.name for p in wheels.iterdir()] == ["pkg-1.0-cp39-linux_x86_64.whl"]
