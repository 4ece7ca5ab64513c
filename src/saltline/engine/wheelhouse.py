"""A wheelhouse of Salt and its locked dependencies, built on the host.

The host's pip reaches PyPI (behind a TLS-intercepting proxy if need be, with the
CA bundle from `saltline.yml`); the image build then installs offline from it.
Salt ships locked requirements per Python version in its sdist, which we use so
that every image of one Salt version has the same dependency set.
"""

from __future__ import annotations

import shutil
import tarfile
import tempfile
from pathlib import Path

from saltline import process
from saltline.errors import ImageError

# The Python a Debian suite ships, which the wheels must match.
SUITE_PYTHON = {"bullseye": "3.9", "bookworm": "3.11", "trixie": "3.13"}
COMPLETE_MARK = ".complete"


def python_for(suite: str) -> str:
    try:
        return SUITE_PYTHON[suite]
    except KeyError:
        raise ImageError(
            f"unsupported platform suite {suite!r}; supported: {', '.join(SUITE_PYTHON)}"
        ) from None


def ensure(cache_dir: Path, salt_version: str, python: str, ca_bundle: Path | None) -> Path:
    """The wheelhouse directory for this Salt and Python version, built once and cached."""
    target = cache_dir / f"salt-{salt_version}-py{python}"
    if (target / COMPLETE_MARK).is_file():
        return target
    interpreter = shutil.which(f"python{python}")
    if interpreter is None:
        raise ImageError(
            f"building wheels for Python {python} needs python{python} on the host PATH "
            f"(the platform's Python); install it or choose a platform that matches the host"
        )
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    pip = [interpreter, "-m", "pip", "--disable-pip-version-check"]
    if ca_bundle is not None:
        pip += ["--cert", str(ca_bundle)]
    with tempfile.TemporaryDirectory(prefix="saltline-sdist-") as tmp:
        _pip(
            [
                *pip,
                "download",
                "--no-deps",
                "--no-binary",
                ":all:",
                f"salt=={salt_version}",
                "-d",
                tmp,
            ]
        )
        sdist = next(Path(tmp).glob("salt-*.tar.gz"))
        locked = _locked_requirements(sdist, python)
        (target / "requirements.txt").write_text(
            f"{locked}\nsalt=={salt_version}\n", encoding="utf-8"
        )
        _pip(
            [
                *pip,
                "wheel",
                "--no-deps",
                "-r",
                str(target / "requirements.txt"),
                "-w",
                str(target),
                "--find-links",
                tmp,
            ]
        )
    (target / COMPLETE_MARK).touch()
    return target


def _locked_requirements(sdist: Path, python: str) -> str:
    member = f"requirements/static/pkg/py{python}/linux.txt"
    with tarfile.open(sdist) as archive:
        for info in archive.getmembers():
            if info.name.endswith(member):
                handle = archive.extractfile(info)
                if handle is not None:
                    return handle.read().decode("utf-8")
    raise ImageError(f"{sdist.name} has no locked requirements for Python {python} ({member})")


def _pip(command: list[str]) -> None:
    done = process.run(command)
    if done.returncode != 0:
        tail = process.tail(done.stdout + done.stderr, 15)
        raise ImageError(
            f"building the Salt wheelhouse failed: {' '.join(command[2:5])} …\n{tail}\n"
            "if a proxy intercepts TLS, set ca_bundle in saltline.yml or SALTLINE_CA_BUNDLE"
        )
