"""Golden images: a team's own image with systemd and Salt in it (`salt: preinstalled`),
used as it is instead of an image saltline builds.

Before any test, each is checked once per image id: `salt-call` answers, the Python
it runs on imports Salt (which gives the cell's Salt version, read from the image),
and systemd boots as PID 1 in a test container. What is missing is named. The result
is kept in the cache (`golden.json`), by image id, so a changed image is checked again.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from importlib import resources

import docker
import docker.errors

from saltline.cache import cache_dir
from saltline.config import Config
from saltline.engine import labels
from saltline.engine.containers import create_systemd_container, run_command, wait_for_systemd
from saltline.errors import ContainerError, ImageError

_PROBE = (
    resources.files("saltline.data").joinpath("salt_python.sh").read_text(encoding="utf-8")
    + """
python=$(salt_python salt-call) || exit 3
echo "python $python"
$python -c 'import salt.version; print("salt", salt.version.__version__)' || exit 4
for init in /lib/systemd/systemd /usr/lib/systemd/systemd; do
  if [ -x "$init" ]; then echo "init $init"; exit 0; fi
done
exit 5
"""
)
_MISSING = {
    3: "no salt-call whose Python imports Salt (its shebang's, onedir's or python3)",
    4: "Salt's Python cannot read its version (salt.version)",
    5: "no systemd (/lib/systemd/systemd): test minions run it as PID 1",
}


@dataclass(frozen=True)
class GoldenImage:
    image: str  # as saltline.yml names it
    image_id: str
    salt_version: str  # read from the image
    python: str  # the interpreter Salt runs on in it
    init: str  # systemd, run as the container's command


_PROBED: dict[str, GoldenImage] = {}  # by image, as this process found them


def known(image: str) -> GoldenImage:
    """A golden image this process has probed (`resolve` probes each before any test)."""
    return _PROBED[image]


def resolve(client: docker.DockerClient, config: Config) -> Config:
    """The configuration with each golden platform's Salt version read from its image."""
    if not config.golden_platforms:
        return config
    return config.with_preinstalled(
        {platform.name: probe(client, platform.image).salt_version
         for platform in config.golden_platforms}
    )  # fmt: skip


def probe(client: docker.DockerClient, image: str) -> GoldenImage:
    """The image's Salt, Python and systemd, checked (from the cache when its id was)."""
    if image in _PROBED:
        return _PROBED[image]
    try:
        found = client.images.get(image)
    except docker.errors.ImageNotFound:
        raise ImageError(
            f"golden image {image} is not on the engine; pull or build it first "
            "(`docker pull`, `docker build`)"
        ) from None
    image_id = str(found.id)
    cached = _read_cache().get(image_id)
    if cached:
        _PROBED[image] = GoldenImage(**{**cached, "image": image})
        return _PROBED[image]
    try:
        output = client.containers.run(
            image, ["sh", "-c", _PROBE], entrypoint=[], remove=True, network_mode="none",
            labels={labels.MANAGED: "true", labels.KIND: "golden-check"},
        )  # fmt: skip
    except docker.errors.ContainerError as exc:
        why = _MISSING.get(exc.exit_status, f"its check failed (exit {exc.exit_status})")
        stderr = exc.stderr or b""
        detail = stderr.decode(errors="replace") if isinstance(stderr, bytes) else stderr
        detail = detail.strip()[-300:]
        raise ImageError(
            f"golden image {image}: {why}" + (f": {detail}" if detail else "")
        ) from None
    facts = dict(line.split(" ", 1) for line in output.decode().splitlines() if " " in line)
    golden = GoldenImage(image, image_id, facts["salt"], facts["python"], facts["init"])
    _check_boots(client, golden)
    _write_cache({**_read_cache(), image_id: asdict(golden)})
    _PROBED[image] = golden
    return golden


def _check_boots(client: docker.DockerClient, golden: GoldenImage) -> None:
    """systemd boots as PID 1 in a test container of the image (as a minion's would)."""
    name = labels.unique_name("saltline-golden-check", golden.image_id[7:19])
    container = create_systemd_container(
        client, golden.image, name=name, hostname="golden-check",
        labels={labels.MANAGED: "true", labels.KIND: "golden-check"}, network=None,
        command=[golden.init],
    )  # fmt: skip
    try:
        container.start()
        wait_for_systemd(container)
        done = run_command(container, ["salt-call", "--local", "test.ping"], 120)
        if done.exit_code != 0:
            raise ImageError(
                f"golden image {golden.image}: `salt-call --local test.ping` failed under "
                f"systemd (exit {done.exit_code}): {done.tail()}"
            )
    except ContainerError as exc:
        raise ImageError(f"golden image {golden.image}: systemd does not boot: {exc}") from None
    finally:
        container.remove(force=True, v=True)


def _read_cache() -> dict[str, dict[str, str]]:
    try:
        value = json.loads((cache_dir() / "golden.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def _write_cache(value: dict[str, dict[str, str]]) -> None:
    """Written aside and renamed: runs side by side never read half a file."""
    path = cache_dir() / "golden.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(f".{os.getpid()}.tmp")
    temporary.write_text(json.dumps(value, indent=2) + "\n")
    temporary.replace(path)
