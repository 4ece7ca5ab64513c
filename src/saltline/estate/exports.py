"""A commit's roots as files: what a run that may record a pass tests.

The bytes tested are the bytes shipped: a release is made from the commit with `git
archive` (`promotion.bundle`), so a run that may record a pass gets its roots the
same way, never from the working tree (where a skip-worktree or assume-unchanged file
can differ from the commit, unseen by `git status`). `.gitattributes` export rules
(export-ignore, export-subst) apply to both alike. A symlink under a root is refused
in both: a release ships regular files only.

Each export is kept under the cache by commit and path; exports older than a week
are removed when a new one is made.
"""

from __future__ import annotations

import hashlib
import io
import shutil
import tarfile
import tempfile
import time
from pathlib import Path

from saltline import archives
from saltline.cache import cache_dir
from saltline.errors import UnshippableError
from saltline.estate import git

KEPT_FOR = 7 * 24 * 3600


def symlink_refusal(path: str, target: str, sha: str) -> str:
    return (
        f"{path} is a symlink (to {target}) in commit {sha[:12]}: a release ships regular "
        "files only, so it would not ship as tested; commit the file it points to instead"
    )


def export(root: Path, sha: str, path: str) -> Path:
    """The directory `path` (relative to `root`) as it is in commit `sha`."""
    key = hashlib.sha256(f"{sha}\0{path}".encode()).hexdigest()[:20]
    exports = cache_dir() / "exports"
    target = exports / key
    if target.is_dir():
        return target
    exports.mkdir(parents=True, exist_ok=True)
    _prune(exports)
    prefix = "" if path in (".", "") else path.rstrip("/") + "/"
    staging = Path(tempfile.mkdtemp(prefix=f".{key}-", dir=exports))
    try:
        with tarfile.open(fileobj=io.BytesIO(git.archive(root, sha, [path]))) as archive:
            for member in archive.getmembers():
                if member.issym() or member.islnk():
                    raise UnshippableError(symlink_refusal(member.name, member.linkname, sha))
            archives.extract_all(archive, staging)
        exported = staging / prefix
        exported.mkdir(parents=True, exist_ok=True)
        exported.rename(target)
    except OSError:
        if not target.is_dir():  # not another run's export of the same: a real failure
            raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def _prune(exports: Path) -> None:
    cutoff = time.time() - KEPT_FOR
    for old in exports.iterdir():
        try:
            if old.stat().st_mtime < cutoff:
                shutil.rmtree(old, ignore_errors=True)
        except FileNotFoundError:  # another run pruned it
            continue
