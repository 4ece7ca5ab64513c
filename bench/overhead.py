#!/usr/bin/env python3
"""saltline's overhead: `saltline test web1 --environment dev` against the same work by hand.

By hand means what an engineer types: docker run (systemd flags, the estate mounted),
wait for systemd, import the pillar's GPG key, salt-call state.apply twice, pytest
--hosts=docker://, docker rm. saltline is timed twice: on that same work (`--skip
lint,render`: the tool's overhead, target <= 1.15) and as the whole pipeline, which
adds lint and the render of the minion in every environment with its golden data,
work the by-hand run does not do.
Both use the cached minion image. Rounds alternate so that drift hits both alike;
the ratio of medians is printed, measured in this one run.

    .venv/bin/python bench/overhead.py [--rounds 3] [--minion web1]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from saltline import config as saltline_config  # noqa: E402
from saltline.engine.images import MINION_REPOSITORY  # noqa: E402
from saltline.pipeline.minion import minion_config  # noqa: E402

ENVIRONMENT = "dev"
SYSTEMD_FLAGS = [
    "--cap-add",
    "SYS_ADMIN",
    "--security-opt",
    "seccomp=unconfined",
    "--cgroupns=host",
    "-v",
    "/sys/fs/cgroup:/sys/fs/cgroup:rw",
    "--tmpfs",
    "/run",
    "--tmpfs",
    "/run/lock",
]


def sh(*command: str) -> str:
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout


def by_hand(cfg: saltline_config.Config, minion: str, work: Path) -> float:
    target = cfg.targets([minion], environment=ENVIRONMENT)[0]
    image = f"{MINION_REPOSITORY}:{target.platform.name}-salt{cfg.salt_version}"
    conf = work / "saltline.conf"
    conf.write_text(minion_config(target, cfg))
    name = f"bench-by-hand-{minion}"
    started = time.monotonic()
    sh(
        "docker",
        "run",
        "-d",
        "--name",
        name,
        "--hostname",
        minion,
        *SYSTEMD_FLAGS,
        "-v",
        f"{cfg.state_dir}:/srv/salt:ro",
        "-v",
        f"{cfg.pillar_dir}:/srv/pillar:ro",
        "-v",
        f"{conf}:/etc/salt/minion.d/saltline.conf:ro",
        image,
    )
    try:
        while sh("docker", "exec", name, "systemctl", "is-system-running").strip() not in (
            "running",
            "degraded",
        ):
            time.sleep(0.2)
    except subprocess.CalledProcessError:
        pass  # `is-system-running` exits non-zero while starting; the loop above retries
    if cfg.gpg_key is not None:
        subprocess.run(
            ["docker", "exec", "-i", name, "sh", "-c",
             "install -d -m 0700 /etc/salt/gpgkeys && "
             "gpg --homedir /etc/salt/gpgkeys --batch --quiet --import"],
            input=cfg.gpg_key.read_text(), check=True, capture_output=True, text=True,
        )  # fmt: skip
    for _ in range(2):
        sh("docker", "exec", name, "salt-call", "--local", "--out=json", "state.apply")
    suites = [str(cfg.infra_tests_dir / f"test_{role}.py") for role in target.minion.roles]
    sh(
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        f"--hosts=docker://{name}",
        *suites,
    )
    sh("docker", "rm", "-f", name)
    return time.monotonic() - started


def with_saltline(minion: str, work: Path, *extra: str) -> float:
    started = time.monotonic()
    subprocess.run(
        [
            *(sys.executable, "-m", "saltline.cli", "test", "--default-cell", minion, *extra),
            *("--environment", ENVIRONMENT, "--reports", str(work / "reports")),
        ],
        cwd=REPO,
        check=True,
        capture_output=True,
    )
    return time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--minion", default="web1")
    args = parser.parse_args()
    cfg = saltline_config.load(REPO / "saltline.yml")
    subprocess.run(
        [sys.executable, "-m", "saltline.cli", "images", "build", "--default-cell"],
        cwd=REPO,
        check=True,
        capture_output=True,
    )
    manual, same, whole = [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        for round_ in range(1, args.rounds + 1):
            manual.append(by_hand(cfg, args.minion, Path(tmp)))
            same.append(with_saltline(args.minion, Path(tmp), "--skip", "lint,render"))
            whole.append(with_saltline(args.minion, Path(tmp)))
            print(
                f"round {round_}: by hand {manual[-1]:6.1f}s   saltline, same work "
                f"{same[-1]:6.1f}s   saltline, whole pipeline {whole[-1]:6.1f}s"
            )
    by_hand_median = statistics.median(manual)
    print(
        f"median: by hand {by_hand_median:.1f}s, saltline same work "
        f"{statistics.median(same):.1f}s, whole pipeline {statistics.median(whole):.1f}s"
    )
    print(
        f"ratio saltline (same work) / by hand: {statistics.median(same) / by_hand_median:.2f}"
        " (target <= 1.15)"
    )
    whole_ratio = statistics.median(whole) / by_hand_median
    print(f"ratio saltline (whole pipeline) / by hand: {whole_ratio:.2f}")


if __name__ == "__main__":
    main()
