"""How many systemd containers a host runs at once, and what a dead one is told."""

from __future__ import annotations

import pytest

from saltline.engine import host_limits
from saltline.pipeline.runner import group_batches


@pytest.mark.parametrize(
    ("facts", "count", "why"),
    [
        ({"inotify": 128, "memory_mb": 24000}, 14, "fs.inotify.max_user_instances is 128"),
        ({"inotify": 1024, "memory_mb": 24000}, 60, "24000 MB available"),
        ({"inotify": 8}, 1, "fs.inotify"),  # never none: one at a time
        ({}, host_limits.REMOTE_DEFAULT, "cannot be read"),
    ],
)
def test_the_budget_is_the_tightest_limit(facts, count, why):
    found, said = host_limits.budget(facts)
    assert found == count and why in said


def test_a_remote_engines_host_is_not_read_from_here(monkeypatch):
    monkeypatch.setenv("DOCKER_HOST", "tcp://docker:2375")
    count, why = host_limits.container_budget()
    assert count == host_limits.REMOTE_DEFAULT and "tcp://docker:2375" in why


@pytest.mark.parametrize(
    ("log", "said"),
    [
        ("Failed to allocate directory watch: Too many open files", "ran out of inotify"),
        ("systemd[1]: Failed to create inotify object", "sysctl -w fs.inotify"),
        ("Cannot allocate memory", "ran out of memory"),
        ("fork: Resource temporarily unavailable", "ran out of processes"),
        ("Welcome to Debian GNU/Linux 12", ""),
    ],
)
def test_a_dead_containers_output_names_the_limit_it_hit(log, said):
    found = host_limits.diagnose(log)
    assert (said in found) if said else found == ""


class Target:
    def __init__(self, group: str, name: str):
        self.group, self.name = group, name


def test_batches_keep_groups_whole_and_in_order():
    targets = [Target(g, f"{g}{i}") for g, n in (("dev", 2), ("staging", 2), ("x", 5))
               for i in range(n)]  # fmt: skip
    batches = group_batches(targets, 4)  # type: ignore[arg-type]
    assert [[t.name for t in batch] for batch in batches] == [
        ["dev0", "dev1", "staging0", "staging1"],
        ["x0", "x1", "x2", "x3", "x4"],  # a group larger than the limit runs alone, whole
    ]
    assert group_batches(targets, 100) == [targets]  # type: ignore[arg-type]
