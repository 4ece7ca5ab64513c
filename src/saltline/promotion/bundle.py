"""What a release of a commit holds: one state tree and one pillar tree, as Salt saw them.

A master serves one `salt/` and one `pillar/` per release. They are the commit's roots
merged in file_roots order, the first root that has a path winning (as Salt serves
it): the top files and pillar SLS that `saltline.yml` writes, the repository's own
roots, then each formula at the commit its `saltline.lock` pins. Everything is read
from the commit (and the formula cache), never from the working tree.

Every file of a release carries the time the release was made as its mtime: a
salt-master caches each file's hash by path and mtime, so two releases must never
give one path the same mtime (git archive's commit time, or none, would).
"""

from __future__ import annotations

import io
import tarfile
import time
from collections.abc import Iterator
from pathlib import Path

from saltline.config import Config
from saltline.config import parse as parse_config
from saltline.errors import GitError, UnshippableError
from saltline.estate import exports, formulas, git, layout


def committed_config_text(config: Config, sha: str) -> str:
    """The configuration file's text in commit `sha`: what ships is what the commit says."""
    if not git.subtree(config.root, sha, config.path.name):
        raise GitError(
            f"{config.path.name} is not in commit {sha[:12]}: a promotion reads its "
            "configuration from the commit it ships; commit it (or name a committed one "
            "with -c)"
        )
    return git.show(config.root, sha, config.path.name)


def committed_config(config: Config, sha: str) -> Config:
    """The configuration as it is in commit `sha`."""
    return parse_config(committed_config_text(config, sha), config.path)


def committed_pins(config: Config, sha: str) -> dict[str, formulas.Pin]:
    """The commit's lock file, which must agree with the commit's `saltline.yml`."""
    committed = committed_config(config, sha)
    if not committed.formulas:
        return {}
    if not git.subtree(config.root, sha, committed.lock_path.name):
        raise GitError(
            f"commit {sha[:12]} declares formulas but has no {committed.lock_path.name}; "
            "run `saltline formulas update` and commit the lock file"
        )
    pins = formulas.read_lock(committed, git.show(config.root, sha, committed.lock_path.name))
    problems = formulas.disagreements(committed, pins)
    if problems:
        raise GitError(
            f"commit {sha[:12]}: {committed.lock_path.name} does not match saltline.yml "
            f"({'; '.join(problems)}); run `saltline formulas update` and commit both"
        )
    return pins


def release_paths(config: Config) -> list[str]:
    """The repository paths a release is made of (relative to the configuration's
    directory): its roots, the files `pillar_files` copies, and the lock file."""
    paths = [*config.state_roots, *config.pillar_roots, *config.pillar_files.values()]
    if config.formulas:
        paths.append(config.lock_path.name)
    return list(dict.fromkeys(paths))


def release_tar(config: Config, sha: str) -> bytes:
    """The release of commit `sha` as a tar of `salt/` and `pillar/`."""
    committed = committed_config(config, sha)
    pins = committed_pins(config, sha)
    checkouts = formulas.checkouts(committed, pins)
    seen: set[str] = set()
    made = time.time()  # a float: sub-second, in a PAX header
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:

        def add(name: str, data: bytes, mode: int = 0o644) -> None:
            if name in seen:  # an earlier root has it: that is the one Salt serves
                return
            seen.add(name)
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(data), mode, made
            tar.addfile(info, io.BytesIO(data))

        generated = layout.generated_files(
            committed, lambda relative: git.show(config.root, sha, relative)
        )
        for relative, text in generated.items():
            kind, rest = relative.split("/", 1)
            add(f"{'salt' if kind == 'states' else 'pillar'}/{rest}", text.encode())
        for root in committed.state_roots:
            for name, data, mode in _files_in_commit(config.root, sha, root):
                add(f"salt/{name}", data, mode)
        for name in committed.formulas:
            for name_in_formula, data, mode in _files_in_directory(checkouts[name]):
                add(f"salt/{name_in_formula}", data, mode)
        for root in committed.pillar_roots:
            for name, data, mode in _files_in_commit(config.root, sha, root):
                add(f"pillar/{name}", data, mode)
    return buffer.getvalue()


def _files_in_commit(root: Path, sha: str, path: str) -> Iterator[tuple[str, bytes, int]]:
    """(path relative to `path`, content, mode) of every file under `path` in the commit."""
    if not git.subtree(root, sha, path):
        return
    prefix = "" if path in (".", "") else path.rstrip("/") + "/"
    with tarfile.open(fileobj=io.BytesIO(git.archive(root, sha, [path]))) as tar:
        for member in tar.getmembers():
            if member.issym() or member.islnk():  # refused when tested, too
                raise UnshippableError(exports.symlink_refusal(member.name, member.linkname, sha))
            handle = tar.extractfile(member) if member.isfile() else None
            if handle is not None and member.name.startswith(prefix):
                yield member.name[len(prefix) :], handle.read(), member.mode


def _files_in_directory(directory: Path) -> Iterator[tuple[str, bytes, int]]:
    for path in sorted(directory.rglob("*")):
        if path.is_file() and not path.is_symlink():
            yield str(path.relative_to(directory)), path.read_bytes(), path.stat().st_mode & 0o777
