"""Base and minion images, cached by a hash of their inputs.

A base image per platform is pulled when a registry answers, otherwise built with
debootstrap and `docker import`. A minion image per (platform, Salt version) adds
systemd, Python and Salt from a host-built wheelhouse. Each image carries the hash
of its inputs as a label, and is rebuilt only when that hash changes.
"""

from __future__ import annotations

import dataclasses
import datetime
import functools
import hashlib
import io
import os
import secrets
import shutil
import tarfile
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import docker
import docker.errors
from docker.models.images import Image

from saltline import archives, process
from saltline.cache import cache_dir
from saltline.config import Config, Platform
from saltline.engine import golden, labels, wheelhouse
from saltline.errors import ImageError

BASE_REPOSITORY = "saltline/base"
MINION_REPOSITORY = "saltline/minion"
SALT_PYTHON = "/opt/saltstack/bin/python3"  # Salt's interpreter in the minion image (its venv)
# Part of every image's input hash: bump it when how images are built or labelled changes.
BUILD_SCHEMA = "2"
Log = Callable[[str], None]


def salt_python(platform: Platform) -> str:
    """The Python Salt runs on in a cell's image: saltline's, or the golden image's."""
    return golden.known(platform.image).python if platform.preinstalled else SALT_PYTHON


def digest(*parts: str | bytes) -> str:
    """A short content hash of the given inputs, in order."""
    sha = hashlib.sha256()
    for part in parts:
        sha.update(part.encode() if isinstance(part, str) else part)
        sha.update(b"\0")
    return sha.hexdigest()[:16]


RECIPE_FILES = ("minion.Dockerfile", "salt-minion.service", "salt-master.service")
APT_CACHE_RECIPE = "apt-cache.Dockerfile"
APT_CACHE_REPOSITORY = "saltline/apt-cache"


def recipe_files() -> dict[str, str]:
    """The image recipe and the files it copies, by name."""
    data = resources.files("saltline.data")
    return {name: data.joinpath(name).read_text() for name in RECIPE_FILES}


@dataclass(frozen=True)
class ImageInfo:
    tag: str
    kind: str
    platform: str
    salt_version: str
    input_hash: str
    size_mb: float
    created: str


class Images:
    """Finds or builds the images a configuration needs."""

    def __init__(
        self, client: docker.DockerClient, config: Config, log: Log = print, rebuild: bool = False
    ):
        self.client = client
        self.config = config
        self.log = log
        self.rebuild = rebuild  # minion images built again, without Docker's layer cache

    def minion_tag(self, platform: Platform, salt_version: str) -> str:
        """A cell's test image: with the platform's packages, if it names any."""
        tag = f"{MINION_REPOSITORY}:{platform.name}-salt{salt_version}"
        return f"{tag}-{digest(*platform.packages)[:8]}" if platform.packages else tag

    def check_supported(self, cells: list[tuple[Platform, str]]) -> None:
        """Refuse, before any build, a Salt version that does not support a platform's
        Python (from the locked requirements its sdist ships), naming the cell."""
        for platform, salt_version in cells:
            if platform.preinstalled:
                continue  # its Salt is what it is: checked when it is probed
            try:
                python = wheelhouse.python_for(platform.suite)
                broken = wheelhouse.known_broken(salt_version, python)
                if broken:
                    raise ImageError(
                        f"{broken}; choose another Salt version for {platform.suite} "
                        f"(Python {python})"
                    )
                wheels = cache_dir() / "wheelhouse"
                if not wheelhouse.built(wheels, salt_version, platform.suite):
                    source = wheelhouse.sdist(wheels, salt_version, self.config.ca_bundle)
                    wheelhouse.locked_requirements(source, python, platform.suite)
            except ImageError as exc:
                raise ImageError(f"{platform.name} × Salt {salt_version}: {exc}") from None

    def ensure_minion(self, platform: Platform, salt_version: str) -> str:
        """The minion image for a cell (with the platform's `packages`), built if missing
        or stale; a golden image is checked, not built; returns its tag."""
        if platform.preinstalled:
            found = golden.probe(self.client, platform.image)
            if found.salt_version != salt_version:  # changed since its version was read
                raise ImageError(
                    f"golden image {platform.image} has Salt {found.salt_version}, not "
                    f"{salt_version}: it changed during the run; run again"
                )
            return platform.image
        bare = dataclasses.replace(platform, packages=())
        try:
            tag = self._ensure_salt_minion(bare, salt_version)
            return self._with_packages(tag, platform, salt_version) if platform.packages else tag
        except ImageError as exc:
            cell = f"{platform.name} × Salt {salt_version}"
            named = str(exc).startswith(cell)
            raise ImageError(str(exc) if named else f"{cell}: {exc}") from None

    def _with_packages(self, minion: str, platform: Platform, salt_version: str) -> str:
        """The minion image plus the platform's packages, tagged by their digest so that
        estates with other packages never rebuild it."""
        image = self.client.images.get(minion)
        input_hash = digest(BUILD_SCHEMA, str(image.id), *platform.packages)
        tag = self.minion_tag(platform, salt_version)
        if self._hash_of(tag) == input_hash:
            return tag
        self.log(f"building {tag} (adds {', '.join(platform.packages)})")
        dockerfile = (
            f"FROM {minion}\nRUN apt-get update && apt-get install -y --no-install-recommends "
            f"{' '.join(platform.packages)} && apt-get clean\n"
        )
        with tempfile.TemporaryDirectory(prefix="saltline-build-") as context:
            (Path(context) / "Dockerfile").write_text(dockerfile)
            self._build(context, tag, {}, platform, input_hash, salt_version=salt_version)
        return tag

    def _ensure_salt_minion(self, platform: Platform, salt_version: str) -> str:
        base = self.ensure_base(platform)
        wheels = wheelhouse.ensure(
            cache_dir() / "wheelhouse",
            salt_version,
            platform.suite,
            self.config.ca_bundle,
            build_on_platform=functools.partial(self._build_wheels, base.tags[0]),
        )
        recipe = recipe_files()
        ca_bundle = self.config.ca_bundle.read_bytes() if self.config.ca_bundle else b""
        requirements = (wheels / "requirements.txt").read_bytes()
        input_hash = digest(BUILD_SCHEMA, str(base.id), *recipe.values(), requirements, ca_bundle)
        tag = self.minion_tag(platform, salt_version)
        if self._hash_of(tag) == input_hash and not self.rebuild:
            return tag
        self.log(f"building {tag} (Salt {salt_version} on {platform.suite})")
        with tempfile.TemporaryDirectory(prefix="saltline-build-") as context:
            root = Path(context)
            for name, text in recipe.items():
                (root / ("Dockerfile" if name.endswith(".Dockerfile") else name)).write_text(text)
            (root / "ca-bundle.crt").write_bytes(ca_bundle)
            shutil.copytree(wheels, root / "wheelhouse")
            self._build(
                context,
                tag,
                {"BASE_IMAGE": base.tags[0]},
                platform,
                input_hash,
                salt_version=salt_version,
            )
        return tag

    def ensure_apt_cache(self) -> str:
        """The package cache's image, on the first built platform's base; returns its tag."""
        built = [name for name, p in self.config.platforms.items() if not p.preinstalled]
        if not built:
            raise ImageError("every platform is a golden image: no Debian base to run it on")
        platform = self.config.platforms[min(built)]
        base = self.ensure_base(platform)
        recipe = resources.files("saltline.data").joinpath(APT_CACHE_RECIPE).read_text()
        input_hash = digest(BUILD_SCHEMA, str(base.id), recipe)
        tag = f"{APT_CACHE_REPOSITORY}:{platform.suite}"
        if self._hash_of(tag) == input_hash:
            return tag
        self.log(f"building {tag} (the package cache)")
        with tempfile.TemporaryDirectory(prefix="saltline-build-") as context:
            (Path(context) / "Dockerfile").write_text(recipe)
            self._build(
                context, tag, {"BASE_IMAGE": base.tags[0]}, platform, input_hash, kind="apt-cache"
            )
        return tag

    def _build_wheels(self, base: str, sources: list[Path], out: Path) -> None:
        """Wheels of source distributions that compile, built in a throw-away container of
        the platform's base image with its compiler and Python (offline: Debian's
        setuptools, no build isolation)."""
        self.log(f"building {', '.join(s.name for s in sources)} for {base}")
        # a name of this build's own: another run may build the same wheels meanwhile
        run_id = f"wheels-{digest(base, *(s.name for s in sources))[:8]}"
        name = labels.unique_name(f"saltline-{run_id}", "wheels", secrets.token_hex(3))
        try:  # sources in and wheels out through the engine's API: it may be remote
            container = self.client.containers.create(
                base, ["sh", "-c", _BUILD_WHEELS], name=name,
                labels=labels.for_run(run_id, **{labels.KIND: "wheels"}),
            )  # fmt: skip
            try:
                container.put_archive("/", _tar({f"src/{s.name}": s for s in sources}))
                container.start()
                status = container.wait()
                output = container.logs().decode("utf-8", "replace")
                if status.get("StatusCode") == 0:
                    _untar(container.get_archive("/out")[0], out)
            finally:
                container.remove(force=True)
        except docker.errors.DockerException as exc:
            raise ImageError(f"building wheels on {base} in {name}: {exc}") from None
        if status.get("StatusCode") != 0:
            raise ImageError(f"building wheels on {base} failed:\n{process.tail(output, 15)}")

    def _build(
        self,
        context: str,
        tag: str,
        buildargs: dict[str, str],
        platform: Platform,
        input_hash: str,
        kind: str = "minion",
        salt_version: str | None = None,
    ) -> None:
        image_labels = {
            labels.IMAGE: kind,
            labels.PLATFORM: platform.name,
            labels.INPUT_HASH: input_hash,
        }
        if salt_version is not None:
            image_labels[labels.SALT_VERSION] = salt_version
        try:
            self.client.images.build(
                path=context,
                tag=tag,
                buildargs=buildargs,
                labels=image_labels,
                rm=True,
                forcerm=True,
                nocache=self.rebuild,
            )
        except docker.errors.BuildError as exc:
            tail = "".join(str(line.get("stream", line.get("error", ""))) for line in exc.build_log)
            raise ImageError(f"building {tag} failed: {exc.msg}\n{tail[-2000:]}") from None

    def ensure_base(self, platform: Platform) -> Image:
        """The platform's base OS image: cached, else pulled, else debootstrapped."""
        input_hash = digest(BUILD_SCHEMA, platform.suite, platform.mirror)
        tag = f"{BASE_REPOSITORY}:{platform.suite}"
        if self._hash_of(tag) == input_hash:
            return self.client.images.get(tag)
        image_labels = {
            labels.IMAGE: "base",
            labels.PLATFORM: platform.name,
            labels.INPUT_HASH: input_hash,
        }
        try:
            self.log(f"pulling {platform.image}")
            pulled = self.client.images.pull(platform.image)
            return self._relabel(pulled, tag, image_labels)
        except docker.errors.APIError as exc:
            self.log(f"no registry ({str(exc.explanation)[:80]}); building {tag} with debootstrap")
        return self._debootstrap(platform, tag, image_labels)

    def _relabel(self, image: Image, tag: str, image_labels: dict[str, str]) -> Image:
        """A pulled image carries no saltline labels: commit a labelled copy under our tag."""
        container = self.client.containers.create(image, command=["true"])
        try:
            changes = [f'LABEL {key}="{value}"' for key, value in image_labels.items()]
            repository, version = tag.split(":")
            container.commit(repository=repository, tag=version, changes=changes)
        finally:
            container.remove(force=True)
        return self.client.images.get(tag)

    def _debootstrap(self, platform: Platform, tag: str, image_labels: dict[str, str]) -> Image:
        if shutil.which("debootstrap") is None or os.geteuid() != 0:
            raise ImageError(
                f"cannot pull {platform.image} and cannot build it: debootstrap needs root and the "
                "debootstrap package (`apt-get install debootstrap`); or make a registry reachable"
            )
        with tempfile.TemporaryDirectory(prefix="saltline-rootfs-", dir=_scratch()) as tmp:
            rootfs, archive = Path(tmp) / "rootfs", Path(tmp) / "rootfs.tar"
            _run(["debootstrap", "--variant=minbase", platform.suite, str(rootfs), platform.mirror])
            _run(["tar", "-C", str(rootfs), "-cf", str(archive), "."])
            repository, version = tag.split(":")
            changes = [f'LABEL {key}="{value}"' for key, value in image_labels.items()]
            self.client.api.import_image_from_file(
                str(archive), repository=repository, tag=version, changes=changes
            )
        return self.client.images.get(tag)

    def _hash_of(self, tag: str) -> str | None:
        try:
            image = self.client.images.get(tag)
        except docker.errors.ImageNotFound:
            return None
        return (image.labels or {}).get(labels.INPUT_HASH)

    def available(self) -> list[ImageInfo]:
        # The engine's listing itself, not an inspection per image: an image another
        # run prunes meanwhile is simply not listed.
        found = []
        for image in self.client.api.images(filters=labels.IMAGE_FILTER):
            image_labels = image.get("Labels") or {}
            tags = [tag for tag in image.get("RepoTags") or [] if tag != "<none>:<none>"]
            created = datetime.datetime.fromtimestamp(image.get("Created", 0), datetime.UTC)
            found.append(
                ImageInfo(
                    tag=tags[0] if tags else str(image["Id"]).removeprefix("sha256:")[:12],
                    kind=image_labels.get(labels.IMAGE, "?"),
                    platform=image_labels.get(labels.PLATFORM, "?"),
                    salt_version=image_labels.get(labels.SALT_VERSION, "-"),
                    input_hash=image_labels.get(labels.INPUT_HASH, "?"),
                    size_mb=image.get("Size", 0) / 1e6,
                    created=created.strftime("%Y-%m-%dT%H:%M:%S"),
                )
            )
        return sorted(found, key=lambda info: info.tag)

    def prune(self, everything: bool = False) -> list[str]:
        """Remove minion images no platform of this config uses, and superseded builds.

        With `everything`, remove every saltline image.
        """
        wanted = {
            self.minion_tag(variant, salt_version)
            for minion in self.config.minions.values()
            for platform, salt_version in self.config.cells_of(minion)
            for variant in (platform, dataclasses.replace(platform, packages=()))
        }
        removed = []
        for info in self.available():
            if everything or (info.kind == "minion" and info.tag not in wanted):
                try:
                    self.client.images.remove(info.tag, force=True)
                except docker.errors.ImageNotFound:
                    continue  # pruned meanwhile, by another run
                removed.append(info.tag)
        superseded = self.client.images.prune(filters={"dangling": True, "label": labels.IMAGE})
        removed += [
            item["Deleted"] for item in superseded.get("ImagesDeleted") or [] if "Deleted" in item
        ]
        return removed


_BUILD_WHEELS = (
    "set -e; export DEBIAN_FRONTEND=noninteractive; apt-get update -qq; "
    "apt-get install -y -qq --no-install-recommends gcc python3-dev python3-pip "
    "python3-setuptools python3-wheel cython3 >/dev/null; "
    "for source in /src/*; do python3 -m pip wheel --no-deps --no-build-isolation --no-index "
    '-w /out "$source"; done'
)


def _tar(files: dict[str, Path]) -> bytes:
    """A tar of local files, each under the name given."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, path in files.items():
            tar.add(path, arcname=name)
    return buffer.getvalue()


def _untar(chunks: Iterable[bytes], into: Path) -> None:
    """The files of a tar the engine streams (`get_archive` of a directory `x`: x/…),
    into `into` without the top directory."""
    with tarfile.open(fileobj=io.BytesIO(b"".join(chunks))) as tar:
        for member in tar.getmembers():
            if member.isfile():
                member.name = member.name.split("/", 1)[-1]
                archives.extract(tar, member, into)


def _scratch() -> str:
    """Where debootstrap writes: beside the cache, which is on a real disk (not a tmpfs)."""
    path = cache_dir() / "tmp"
    path.mkdir(parents=True, exist_ok=True)
    return str(path)


def _run(command: list[str]) -> None:
    done = process.run(command)
    if done.returncode != 0:
        tail = process.tail(done.stdout + done.stderr, 10)
        raise ImageError(f"{command[0]} failed (exit {done.returncode}):\n{tail}")
