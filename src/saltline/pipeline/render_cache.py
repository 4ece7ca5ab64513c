"""Renders reused across runs: a minion × environment is not rendered again when nothing
it depends on changed since its last passing render.

A stored render is keyed by its settings (image, minion configuration, golden data
template, secrets key, the roots mounted) and records a content hash of every file of
the estate's roots, the configuration and the lock file, with what the render used and
what it rendered (its view, read without the secrets key: `impact`).
The next run asks `selection` — the attribution `--changed` uses — whether the files
that differ from the record affect that render; if none does, the render is reused.
The golden data check is reused too, unless the target's golden file or a file that is
neither an SLS nor a `salt://` source (a map.jinja, a parameters file) changed.

Records live in `.saltline/renders/` beside the configuration (a CI cache can keep
it); each is written whole by rename, so concurrent runs lose at most a reuse.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

from saltline.config import OWN_OUTPUTS, Config, Target
from saltline.pipeline import golden, selection
from saltline.pipeline.impact import RenderedView
from saltline.pipeline.selection import Used

RECORD_SCHEMA = "1"


def cache_dir(config: Config) -> Path:
    return config.root / ".saltline" / "renders"


@dataclass(frozen=True)
class Record:
    settings: str
    files: dict[str, str]  # path relative to the configuration's directory → sha256
    used: Used
    data_checked: bool  # its golden data check passed too
    view: RenderedView | None  # what it rendered (`impact`), if it was read


@dataclass(frozen=True)
class Reuse:
    used: Used
    data: bool  # the golden data check may be reused as well
    view: RenderedView | None = None


def estate_files(config: Config) -> dict[str, str]:
    """Every file a render may read from the checkout, by relative path, with its hash."""
    found: dict[str, str] = {}
    for root in (*config.state_roots, *config.pillar_roots):
        for path in _walk(config.root / root, config.root):
            found[path.relative_to(config.root).as_posix()] = _sha(path)
    for path in (config.path, config.lock_path, *_walk(config.golden_dir, config.root)):
        if path.is_file():
            found[path.relative_to(config.root).as_posix()] = _sha(path)
    return found


def settings_digest(*parts: str | bytes) -> str:
    sha = hashlib.sha256(RECORD_SCHEMA.encode())
    for part in parts:
        sha.update(b"\0" + (part.encode() if isinstance(part, str) else part))
    return sha.hexdigest()


def reusable(
    config: Config,
    jobs: list[Target],
    settings: dict[str, str],
    files: dict[str, str],
    data_wanted: bool,
    directory: Path,
) -> dict[str, Reuse]:
    """The stored renders of `jobs` (by key) that nothing they depend on changed since,
    and that read the rendered view.

    Attribution is judged against every stored render at once, as `--changed` judges
    a change against every target: a file that no render uses affects them all.
    """
    records = {job.key: _load(directory / _file_name(job)) for job in jobs}
    facts = {key: record.used for key, record in records.items() if record is not None}
    rules = selection.rules_for(config)
    served = {path for used in facts.values() for path in used.sources}
    found = {}
    for job in jobs:
        exact_path = directory / _exact_name(job, settings[job.key], files)
        exact = _load(exact_path)
        if exact is not None and exact.view is not None and (exact.data_checked or not data_wanted):
            found[job.key] = Reuse(exact.used, exact.data_checked, exact.view)
            with contextlib.suppress(OSError):
                os.utime(exact_path)  # in use: not pruned
            continue
        record = records[job.key]
        if record is None or record.settings != settings[job.key]:
            continue
        if record.view is None:  # stored before views were read: render again
            continue
        changed = sorted(
            path
            for path in record.files.keys() | files.keys()
            if record.files.get(path) != files.get(path)
        )
        if job.key in selection.affected(changed, facts, {}, rules):
            continue
        golden_file = _relative(golden.path_for(config.golden_dir, job), config.root)
        data = record.data_checked and not any(
            path == golden_file or _map_layer(path, served, rules) for path in changed
        )
        if data or not data_wanted:  # else: rendering again costs little more than the check
            found[job.key] = Reuse(record.used, data, record.view)
    return found


def store(
    config: Config,
    job: Target,
    settings: str,
    files: dict[str, str],
    used: Used,
    data_checked: bool,
    directory: Path,
    view: RenderedView | None = None,
) -> None:
    """Record a passing render (and whether its data check ran and passed)."""
    directory.mkdir(parents=True, exist_ok=True)
    document = {
        "settings": settings,
        "files": files,
        "used": {name: sorted(getattr(used, name)) for name in ("sls", "sources", "pillar")},
        "data_checked": data_checked,
        "view": view.to_json() if view is not None else None,
    }
    text = json.dumps(document, sort_keys=True)
    # the job's latest render, and this exact content's (which a later run's impact base
    # finds again after the latest moved on: one job, two commits in turn)
    for path in (directory / _file_name(job), directory / _exact_name(job, settings, files)):
        scratch = path.with_name(f".{path.name}.{os.getpid()}")
        scratch.write_text(text)
        scratch.replace(path)
    _prune(directory)


def with_golden_file(config: Config, job: Target, files: dict[str, str]) -> dict[str, str]:
    """`files` with the job's golden file as it is now: what a render that rewrote it
    (`--update-golden`) records, so that the next run reuses it."""
    path = golden.path_for(config.golden_dir, job)
    return {**files, _relative(path, config.root): _sha(path)} if path.is_file() else files


def forget(job: Target, directory: Path, settings: str, files: dict[str, str]) -> None:
    """A failed render is not reused: the next run shows its errors again."""
    (directory / _file_name(job)).unlink(missing_ok=True)
    (directory / _exact_name(job, settings, files)).unlink(missing_ok=True)


def _map_layer(path: str, served: set[str], rules: selection.Rules) -> bool:
    """A state-root file that is neither an SLS nor a source any state serves: what
    map.jinja reads, which the golden data shows for every component."""
    for root in rules.state_roots:
        if selection.under(path, root):
            relative = selection.relative(path, root)
            return not relative.endswith(".sls") and relative not in served
    return False


def _load(path: Path) -> Record | None:
    try:
        document = json.loads(path.read_text())
        used = document["used"]
        return Record(
            settings=str(document["settings"]),
            files={str(k): str(v) for k, v in document["files"].items()},
            used=Used(set(used["sls"]), set(used["sources"]), set(used["pillar"])),
            data_checked=bool(document["data_checked"]),
            view=RenderedView.from_json(document["view"]) if document.get("view") else None,
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None  # absent, or written by another version: render again


def _file_name(job: Target) -> str:
    return hashlib.sha256(job.key.encode()).hexdigest()[:24] + ".json"


def _exact_name(job: Target, settings: str, files: dict[str, str]) -> str:
    content = json.dumps([job.key, settings, files], sort_keys=True)
    return "exact-" + hashlib.sha256(content.encode()).hexdigest()[:24] + ".json"


KEPT_FOR = 7 * 24 * 3600  # an exact-content record unused this long is removed


def _prune(directory: Path) -> None:
    cutoff = time.time() - KEPT_FOR
    for path in directory.glob("exact-*.json"):
        with contextlib.suppress(FileNotFoundError):  # another run pruned it
            if path.stat().st_mtime < cutoff:
                path.unlink()


def _walk(directory: Path, root: Path) -> list[Path]:
    """Files below `directory`, skipping hidden directories and saltline's own outputs."""
    skipped = {root / name for name in OWN_OUTPUTS}
    found = []
    for current, directories, names in os.walk(directory):
        directories[:] = sorted(
            name
            for name in directories
            if not name.startswith(".") and Path(current, name) not in skipped
        )
        found += [Path(current, name) for name in sorted(names)]
    return found


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _relative(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)
