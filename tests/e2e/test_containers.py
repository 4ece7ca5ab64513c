"""What a minion's container may do: `container:` options given to Docker, a state that
hits the container's limits reported as such (naming what would lift it), and states
excluded from containers shown as excluded."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import docker
import docker.errors
import yaml

from saltline.adopt import config_writer
from saltline.engine import labels
from tests.e2e.conftest import ESTATE, Run

KERNEL_ROLE = """\
kernel-somaxconn-sysctl:
  sysctl.present:
    - name: net.core.somaxconn
    - value: 1024

kernel-overcommit-sysctl:
  sysctl.present:
    - name: vm.overcommit_memory
    - value: 1

kernel-dummy-module:
  kmod.present:
    - name: dummy
"""
TARGET = "dev/kernel1@debian12/salt3007.13"


def kernel_estate(tmp_path: Path) -> Path:
    """The fixture estate with kernel1: a namespaced sysctl its container is given, one
    no container can set, and a kernel module excluded from containers."""
    estate = tmp_path / "estate"
    shutil.copytree(ESTATE, estate, ignore=shutil.ignore_patterns("__pycache__"))
    (estate / "salt" / "roles" / "kernel.sls").write_text(KERNEL_ROLE)
    top = estate / "salt" / "top.sls"
    top.write_text(top.read_text() + "  'roles:kernel':\n    - match: grain\n    - roles.kernel\n")
    settings = yaml.safe_load((estate / "saltline.yml").read_text())
    settings["minions"]["kernel1"] = {
        "roles": ["kernel"],
        "container": {"sysctls": {"net.core.somaxconn": 1024}},
        "exclude": [{"id": "kernel-dummy-module",
                     "reason": "kernel modules are the host's; tested on staging hosts"}],
    }  # fmt: skip
    (estate / "saltline.yml").write_text(config_writer.dump(settings))
    return estate


def host_binds(engine: docker.DockerClient, seen: set[str]) -> dict[str, list[str]]:
    """saltline's containers that bind-mount a path of the engine's host (its cgroup
    tree aside, which systemd needs): none may, so that a remote engine works. Adds the
    names of the containers looked at to `seen`."""
    try:
        containers = engine.containers.list(all=True, filters=labels.MANAGED_FILTER)
    except docker.errors.NotFound:  # one went away while listed: look again next time
        return {}
    found = {}
    for container in containers:
        seen.add(container.name)
        binds = [
            mount["Source"] for mount in container.attrs.get("Mounts") or []
            if mount.get("Type") == "bind" and mount.get("Destination") != "/sys/fs/cgroup"
        ]  # fmt: skip
        if binds:
            found[container.name] = binds
    return found


def watched(engine: docker.DockerClient, tmp_path: Path, *args: str) -> tuple[Run, dict]:
    """A saltline run, and every host path its containers (render, test) bind-mounted,
    looked at while it runs."""
    estate, reports = kernel_estate(tmp_path), tmp_path / "r"
    process = subprocess.Popen([sys.executable, "-m", "saltline.cli", *args, "--reports",
                                str(reports)], cwd=estate, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)  # fmt: skip
    binds: dict[str, list[str]] = {}
    seen: set[str] = set()
    while process.poll() is None:
        binds.update(host_binds(engine, seen))
        time.sleep(0.5)
    output = process.communicate()[0]
    assert any("-render-" in name for name in seen) and any("kernel1" in name for name in seen)
    return Run(process.returncode, output, reports), binds


def test_a_container_s_limits_are_named_with_what_lifts_them_and_exclusions_shown(engine, tmp_path):
    run, binds = watched(engine, tmp_path, "test", "kernel1")
    assert binds == {}  # the estate travelled through the engine's API
    assert run.exit_code == 1, run.output
    assert run.target(TARGET)["container"] == {"sysctls": {"net.core.somaxconn": "1024"}}
    converge = run.stage(TARGET, "converge")
    message = converge["message"]
    # the namespaced sysctl, given to the container, is set for real by its state
    cases = {case["name"]: case for case in converge["cases"]}
    assert cases["roles.kernel: kernel-somaxconn-sysctl (sysctl.present)"]["failure"] is None
    # the one no container can set: a container limit, not a failure of the Salt code
    assert (
        "container limit: state 'kernel-overcommit-sysctl' (sysctl.present) in SLS "
        "roles.kernel: vm.overcommit_memory is not namespaced: a container cannot set it, "
        "only its host; minions.kernel1.container.privileged: true" in message
    )
    assert "minions.kernel1.exclude: [{id: kernel-overcommit-sysctl" in message
    (limit,) = converge["details"]["container_limits"]
    assert (limit["state"], limit["function"]) == ("kernel-overcommit-sysctl", "sysctl.present")
    # excluded: never applied, shown as excluded (a skipped case), never silently passed
    assert cases["excluded: id kernel-dummy-module"]["skipped"] == (
        "not applied in containers: kernel modules are the host's; tested on staging hosts"
    )
    assert not any("(kmod.present)" in name for name in cases)
    assert "excluded in containers: id kernel-dummy-module" in message
    summary = (tmp_path / "r" / "summary.md").read_text()
    assert f'- {TARGET}: sysctls: {{"net.core.somaxconn": "1024"}}; excluded id ' in summary
