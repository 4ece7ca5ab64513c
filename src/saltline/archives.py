"""Tar extraction that never writes outside its directory, on every Python 3.11.

Python's `data` extraction filter arrived in 3.11.4; Debian 12's own Python is 3.11.2,
and pipx installs saltline on it. There, members are checked the same way by hand:
no absolute path, no `..`, nothing but files and directories.
"""

from __future__ import annotations

import tarfile
from pathlib import Path, PurePosixPath

from saltline.errors import SaltlineError

_HAS_FILTER = hasattr(tarfile, "data_filter")


def extract_all(archive: tarfile.TarFile, into: Path) -> None:
    if _HAS_FILTER:
        archive.extractall(into, filter="data")
        return
    members = archive.getmembers()
    for member in members:
        _check(member)
    archive.extractall(into, members=members)


def extract(archive: tarfile.TarFile, member: tarfile.TarInfo, into: Path) -> None:
    if _HAS_FILTER:
        archive.extract(member, into, filter="data")
        return
    _check(member)
    archive.extract(member, into)


def _check(member: tarfile.TarInfo) -> None:
    path = PurePosixPath(member.name)
    if path.is_absolute() or ".." in path.parts or not (member.isfile() or member.isdir()):
        raise SaltlineError(
            f"refusing to unpack {member.name!r}: not a plain file below the target"
        )
