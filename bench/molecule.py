#!/usr/bin/env python3
"""saltline against Molecule on the same job, back to back, in one run.

The job: an nginx role (the package, an index.html naming the minion, the service
running and enabled), converged in a fresh container from the same image, checked for
idempotence, and verified by the same four testinfra checks. Molecule 26 with the
docker driver and the testinfra verifier runs `molecule test`; saltline runs
`saltline test` (lint, render, converge, idempotence, verify, report). Both start
from a warm image cache; saltline's package cache is warm (that is one of its
features: Molecule downloads the packages every time). saltline is timed twice: as a
rerun (its stored render reused) and with its stored renders cleared first.

Molecule is not a dependency of saltline: it is installed into its own virtualenv
(`--venv`, created with pip from the package index when missing).

    .venv/bin/python bench/molecule.py [--rounds 3] [--venv ~/.cache/saltline/molecule-venv]

Target: saltline ÷ Molecule ≤ 0.2.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MOLECULE = ("molecule==26.*", "molecule-plugins[docker]", "ansible", "pytest-testinfra")

CHECKS = """\
def test_nginx_is_installed(host):
    assert host.package("nginx").is_installed


def test_the_page_names_the_minion(host):
    assert host.file("/var/www/html/index.html").contains(host.check_output("hostname"))


def test_nginx_is_running(host):
    assert host.service("nginx").is_running


def test_nginx_is_enabled(host):
    assert host.service("nginx").is_enabled
"""

SALTLINE_ESTATE = {
    "saltline.yml": (
        'salt_version: "3007.13"\n'
        "platforms: {debian12: {suite: bookworm, image: 'debian:bookworm'}}\n"
        "environments: {dev: {test: true}}\n"
        "minions: {web1: {roles: [nginx]}}\n"
    ),
    "salt/top.sls": "base:\n  '*':\n    - nginx\n",
    "salt/nginx/init.sls": """\
nginx-package:
  pkg.installed:
    - name: nginx

nginx-index:
  file.managed:
    - name: /var/www/html/index.html
    - contents: "<h1>{{ grains['id'] }}</h1>"
    - require:
      - pkg: nginx-package

nginx-service:
  service.running:
    - name: nginx
    - enable: true
    - require:
      - pkg: nginx-package
""",
    "pillar/top.sls": "base: {}\n",
    "tests/infra/test_nginx.py": CHECKS,
}

MOLECULE_ROLE = {
    "tasks/main.yml": """\
---
- name: Install nginx
  ansible.builtin.apt:
    name: nginx
    update_cache: true
- name: Write the page
  ansible.builtin.copy:
    dest: /var/www/html/index.html
    content: "<h1>{{ inventory_hostname }}</h1>"
    mode: "0644"
- name: Run nginx
  ansible.builtin.service:
    name: nginx
    state: started
    enabled: true
""",
    "meta/main.yml": """\
---
galaxy_info:
  role_name: nginx
  namespace: bench
  author: bench
  description: nginx
  license: MIT
  min_ansible_version: "2.15"
""",
    "molecule/default/converge.yml": """\
---
- name: Converge
  hosts: all
  roles:
    - role: nginx
""",
    "molecule/default/tests/test_default.py": CHECKS,
}


def molecule_yml(image: str) -> str:
    return f"""\
---
dependency:
  name: galaxy
  enabled: false
driver:
  name: docker
platforms:
  - name: web1
    image: {image}
    pre_build_image: true
    command: /lib/systemd/systemd
    capabilities: [SYS_ADMIN]
    security_opts: [seccomp=unconfined]
    cgroupns_mode: host
    tmpfs: [/run, /run/lock]
    volumes: ["/sys/fs/cgroup:/sys/fs/cgroup:rw"]
provisioner:
  name: ansible
verifier:
  name: testinfra
"""


def ensure_molecule(venv: Path) -> Path:
    molecule = venv / "bin" / "molecule"
    if not molecule.exists():
        print(f"installing Molecule into {venv} …", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([venv / "bin" / "pip", "install", "-q", *MOLECULE], check=True)
    return molecule


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)


def timed(command: list[str | Path], cwd: Path, env: dict[str, str] | None = None) -> float:
    started = time.monotonic()
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"{command[0]} failed:\n{done.stdout[-3000:]}{done.stderr[-2000:]}")
    return time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--venv", type=Path, default=Path.home() / ".cache" / "saltline" / "molecule-venv"
    )
    args = parser.parse_args()
    molecule = ensure_molecule(args.venv)
    saltline = [sys.executable, "-m", "saltline.cli"]
    with tempfile.TemporaryDirectory() as tmp:
        estate, role = Path(tmp) / "estate", Path(tmp) / "roles" / "nginx"
        write(estate, SALTLINE_ESTATE)
        build = subprocess.run(
            [*saltline, "images", "build"], cwd=estate, capture_output=True, text=True, check=True
        )
        image = build.stdout.strip().splitlines()[-1].split(": ")[-1]  # "debian12: TAG"
        write(role, {**MOLECULE_ROLE, "molecule/default/molecule.yml": molecule_yml(image)})
        env = {
            **os.environ,
            "PATH": f"{molecule.parent}{os.pathsep}{os.environ['PATH']}",  # ansible-config …
            "ANSIBLE_ROLES_PATH": str(role.parent),
            "PY_COLORS": "0",
        }
        timed([*saltline, "test", "--reports", "reports"], estate)  # warms the package cache
        timed([molecule, "test"], role, env)  # and Molecule's first-run setup
        rerun, fresh, theirs = [], [], []
        for round_ in range(1, args.rounds + 1):
            theirs.append(timed([molecule, "test"], role, env))
            rerun.append(timed([*saltline, "test", "--reports", "reports"], estate))
            timed([*saltline, "cache", "clear", "renders"], estate)
            fresh.append(timed([*saltline, "test", "--reports", "reports"], estate))
            print(f"round {round_}: molecule test {theirs[-1]:5.1f}s   saltline test "
                  f"{rerun[-1]:5.1f}s (render reused), {fresh[-1]:5.1f}s (rendered)")  # fmt: skip
    m, r, f = (statistics.median(values) for values in (theirs, rerun, fresh))
    print(f"median: molecule {m:.1f}s, saltline {r:.1f}s rerun / {f:.1f}s rendering")
    print(f"ratio saltline / molecule: {r / m:.2f} rerun, {f / m:.2f} rendering   (target ≤ 0.2)")


if __name__ == "__main__":
    main()
