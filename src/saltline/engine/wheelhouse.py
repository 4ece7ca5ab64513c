"""A wheelhouse of Salt and its locked dependencies for a platform's Python, built on
the host with the host's pip, for any Debian suite whatever the host's Python is.

The host's pip reaches PyPI (behind a TLS-intercepting proxy if need be, with the
CA bundle from `saltline.yml`); the image build then installs offline from it.
Salt ships locked requirements per Python version in its sdist
(`requirements/static/pkg/py3.X/linux.txt`, `.lock` from 3008 on), which we use so
that every image of one Salt version and Python has the same dependency set. A
Salt without locked requirements for the platform's Python does not support it:
refused with that reason before anything is built. Wheels are downloaded for the
target interpreter (its point release, ABI and the suite's glibc; each requirement's
environment marker decided for it); a dependency published
only as source is built here when it is pure Python (or the Pythons match), else by
`build_on_platform` (a container of the platform's base image, its compiler and Python).
"""

from __future__ import annotations

import platform
import re
import shutil
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from packaging.markers import Marker

from saltline import process
from saltline.errors import ImageError

# The Python a Debian suite ships, which the wheels must match, and its glibc. The point
# release counts: cryptography 44+ requires Python 3.9.2 or later, which bullseye has.
SUITE_PYTHON_RELEASE = {"bullseye": "3.9.2", "bookworm": "3.11.2", "trixie": "3.13.5"}
SUITE_PYTHON = {suite: release.rsplit(".", 1)[0] for suite, release in SUITE_PYTHON_RELEASE.items()}
SUITE_GLIBC = {"bullseye": 31, "bookworm": 36, "trixie": 41}  # 2.N
COMPLETE_MARK = ".complete"
ABANDONED_AFTER = 24 * 3600  # seconds: no wheelhouse build takes that long
# Builds wheels of the given source distributions into a directory, on the platform.
PlatformBuild = Callable[[list[Path], Path], None]
LOCK_FILES = ("linux.txt", "linux.lock")  # Salt 3006/3007, Salt 3008
# Pairs that ship locked requirements but do not work, as measured here: (release line,
# Python) → why.
BROKEN = {
    ("3007", "3.13"): "Salt 3007 reads salt:// URLs wrongly on Python 3.13 (salt://top.sls "
    "as salt://.sls), so it finds no top file and no template",
}


def python_for(suite: str) -> str:
    try:
        return SUITE_PYTHON[suite]
    except KeyError:
        raise ImageError(
            f"unsupported platform suite {suite!r}; supported: {', '.join(SUITE_PYTHON)}"
        ) from None


def built(cache_dir: Path, salt_version: str, suite: str) -> bool:
    """Whether this wheelhouse exists (its Salt and Python were found to fit then)."""
    return (cache_dir / f"salt-{salt_version}-py{python_for(suite)}" / COMPLETE_MARK).is_file()


def ensure(
    cache_dir: Path,
    salt_version: str,
    suite: str,
    ca_bundle: Path | None,
    build_on_platform: PlatformBuild | None = None,
) -> Path:
    """The wheelhouse directory for this Salt version on this suite, built once and cached.

    Built in a directory of its own and renamed into place when complete, so runs that
    build the same wheelhouse at once (CI jobs sharing a cache) each get a whole one,
    and a run killed meanwhile leaves no half wheelhouse under the cached name.
    """
    python = python_for(suite)
    target = cache_dir / f"salt-{salt_version}-py{python}"
    if (target / COMPLETE_MARK).is_file():
        return target
    pip = _pip_command(ca_bundle)
    locked = locked_requirements(sdist(cache_dir, salt_version, ca_bundle), python, suite)
    _remove_abandoned_builds(cache_dir, target.name)
    building = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=cache_dir))
    building.chmod(0o755)
    try:
        _fill(building, locked, salt_version, python, suite, pip, build_on_platform)
        (building / COMPLETE_MARK).touch()
        _move_into_place(building, target)
    finally:
        shutil.rmtree(building, ignore_errors=True)  # ours when another run's came first
    return target


def _move_into_place(building: Path, target: Path) -> None:
    if target.exists() and not (target / COMPLETE_MARK).is_file():
        shutil.rmtree(target, ignore_errors=True)  # an older saltline's half wheelhouse
    try:
        building.rename(target)
    except OSError:
        if not (target / COMPLETE_MARK).is_file():
            raise  # not another run's whole wheelhouse: a real failure


def _remove_abandoned_builds(cache_dir: Path, name: str) -> None:
    """Builds of this wheelhouse that a killed run left, a day or more old."""
    for leftover in cache_dir.glob(f".{name}-*"):
        try:
            if time.time() - leftover.stat().st_mtime > ABANDONED_AFTER:
                shutil.rmtree(leftover, ignore_errors=True)
        except FileNotFoundError:
            pass  # removed meanwhile


def _fill(
    target: Path,
    locked: str,
    salt_version: str,
    python: str,
    suite: str,
    pip: list[str],
    build_on_platform: PlatformBuild | None,
) -> None:
    """The locked requirements and Salt as wheels for the platform's Python, in `target`."""
    requirements = target / "requirements.txt"
    # Locks before 3008 leave setuptools out ("unsafe") though a dependency needs it;
    # Python 3.12+ venvs no longer carry it. <81: it still ships pkg_resources.
    unpinned = "" if re.search(r"(?m)^setuptools==", locked) else "setuptools<81\n"
    pinned = for_target(locked, SUITE_PYTHON_RELEASE[suite])
    requirements.write_text(f"{pinned}\n{unpinned}salt=={salt_version}\n", encoding="utf-8")
    cell = f"Salt {salt_version} for Python {python} ({suite})"
    _pip(
        [*pip, "download", "--no-deps", "-r", str(requirements), "-d", str(target),
         *_target_interpreter(python, suite)],
        cell,
    )  # fmt: skip
    compiled = [
        source
        for source in [*target.glob("*.tar.gz"), *target.glob("*.zip")]
        if not _build_wheel(pip, source, target, python, cell)
    ]
    if compiled:
        if build_on_platform is None:
            names = ", ".join(source.name for source in compiled)
            raise ImageError(
                f"{cell}: {names} has no wheel for Python {python} on the package index "
                "and compiles; choose another Salt version for this platform"
            )
        _build_on_platform(build_on_platform, compiled, target, python, cell)


def sdist(cache_dir: Path, salt_version: str, ca_bundle: Path | None) -> Path:
    """Salt's source distribution (cached): its locked requirements say what it supports."""
    directory = cache_dir / "sdists"
    found = directory / f"salt-{salt_version}.tar.gz"
    if found.is_file():
        return found
    directory.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="saltline-sdist-", dir=directory) as tmp:
        _pip(
            [*_pip_command(ca_bundle), "download", "--no-deps", "--no-binary", ":all:",
             f"salt=={salt_version}", "-d", tmp],
            f"Salt {salt_version}",
        )  # fmt: skip
        downloaded = next(Path(tmp).glob("salt-*.tar.gz"))
        downloaded.replace(found)
    return found


def known_broken(salt_version: str, python: str) -> str | None:
    return BROKEN.get((salt_version.split(".")[0], python))


def locked_requirements(sdist_path: Path, python: str, suite: str) -> str:
    """Salt's locked requirements for a Python version; refused when it ships none."""
    wanted = {f"requirements/static/pkg/py{python}/{name}" for name in LOCK_FILES}
    shipped = set()
    with tarfile.open(sdist_path) as archive:
        for info in archive.getmembers():
            relative = info.name.split("/", 1)[-1]
            match = re.match(r"requirements/static/pkg/py(\d+\.\d+)/linux\.(txt|lock)$", relative)
            if match:
                shipped.add(match.group(1))
            if relative in wanted:
                handle = archive.extractfile(info)
                if handle is not None:
                    return handle.read().decode("utf-8")
    versions = ", ".join(sorted(shipped, key=lambda v: tuple(map(int, v.split("."))))) or "none"
    raise ImageError(
        f"{sdist_path.name.removesuffix('.tar.gz')} does not support Python {python} "
        f"({suite}): it ships locked requirements for Python {versions} only; "
        "choose another Salt version for this platform (platforms.NAME.salt_versions)"
    )


def for_target(locked: str, python_release: str) -> str:
    """The locked requirements with their environment markers decided for the target
    Python (`3.9.2`) on Linux: `pip download --python-version` decides them for the
    host's interpreter, so `certifi==… ; python_version < "3.10"` would be left out."""
    target = {
        "python_version": python_release.rsplit(".", 1)[0],
        "python_full_version": python_release,
        "implementation_name": "cpython",
        "platform_python_implementation": "CPython",
        "sys_platform": "linux",
        "platform_system": "Linux",
        "os_name": "posix",
        "platform_machine": platform.machine(),
    }
    kept = []
    for line in locked.splitlines():
        requirement, _, marker = line.split("#", 1)[0].partition(";")
        if not requirement.strip() or requirement.lstrip().startswith("-"):
            kept.append(line)  # comments and pip options as they are
        elif not marker.strip() or Marker(marker).evaluate(target):
            kept.append(requirement.strip())
    return "\n".join(kept)


def _target_interpreter(python: str, suite: str) -> list[str]:
    """pip's options for wheels the suite's CPython can install."""
    major, minor = python.split(".")
    machine = platform.machine()
    tags = [f"manylinux_2_{n}_{machine}" for n in range(SUITE_GLIBC[suite], 4, -1)]
    tags += [f"manylinux{alias}_{machine}" for alias in ("2014", "2010", "1")]
    options = ["--python-version", SUITE_PYTHON_RELEASE[suite], "--implementation", "cp"]
    options += [
        option for abi in (f"cp{major}{minor}", "abi3", "none") for option in ("--abi", abi)
    ]
    return options + [option for tag in tags for option in ("--platform", tag)]


def _build_wheel(pip: list[str], source: Path, target: Path, python: str, cell: str) -> bool:
    """Build a dependency published only as source here; False when the wheel would not
    fit the platform's Python (it compiles, and this interpreter is another version)."""
    fits = ("-none-any.whl", f"-cp{python.replace('.', '')}-")
    with tempfile.TemporaryDirectory(prefix="saltline-wheel-") as tmp:
        # PEP 517 in an isolated build environment: a setup.py-only sdist builds even where
        # saltline's own environment has no `wheel` (a pipx or CI virtualenv)
        _pip([*pip, "wheel", "--no-deps", "--use-pep517", str(source), "-w", tmp], cell)
        (wheel,) = Path(tmp).glob("*.whl")
        if not any(tag in wheel.name for tag in fits):
            return False
        shutil.move(str(wheel), target / wheel.name)
    source.unlink()
    return True


def _build_on_platform(
    build: PlatformBuild, sources: list[Path], target: Path, python: str, cell: str
) -> None:
    with tempfile.TemporaryDirectory(prefix="saltline-platform-wheels-") as tmp:
        build(sources, Path(tmp))
        tag = f"-cp{python.replace('.', '')}-"
        for source in sources:
            project = source.name.split("-")[0].lower().replace("-", "_")
            built = [w for w in Path(tmp).glob("*.whl") if w.name.lower().startswith(project)]
            if not built or not any(tag in w.name or "-none-any" in w.name for w in built):
                raise ImageError(f"{cell}: building {source.name} on the platform gave no wheel")
            for wheel in built:
                shutil.move(str(wheel), target / wheel.name)
            source.unlink()


def _pip_command(ca_bundle: Path | None) -> list[str]:
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check"]
    return [*pip, "--cert", str(ca_bundle)] if ca_bundle is not None else pip


def _pip(command: list[str], cell: str) -> None:
    done = process.run(command)
    if done.returncode == 0:
        return
    output = done.stdout + done.stderr
    missing = re.search(r"No matching distribution found for (\S+)", output)
    if missing:
        version = missing.group(1).partition("==")[2]
        other_python = re.search(rf"\b{re.escape(version)} Requires-Python ([^;\s]+)", output)
        if version and other_python:
            raise ImageError(
                f"{cell} cannot be installed: its locked requirement {missing.group(1)} "
                f"requires Python {other_python.group(1)}; choose another Salt version"
            )
        raise ImageError(
            f"{cell} cannot be installed: its locked requirement {missing.group(1)} is not on "
            "the package index (for this Python); choose another Salt version"
        )
    tail = process.tail(output, 15)
    raise ImageError(
        f"{cell}: building the Salt wheelhouse failed: {' '.join(command[3:6])} …\n{tail}\n"
        "if a proxy intercepts TLS, set ca_bundle in saltline.yml or SALTLINE_CA_BUNDLE"
    )
