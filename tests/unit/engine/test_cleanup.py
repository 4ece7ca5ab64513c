"""Which leftovers a run may reap: only those of runs that are gone, never the fleet's."""

from __future__ import annotations

import io
import os
import time
from types import SimpleNamespace

import docker
import docker.errors
import pytest

from saltline.console import Console
from saltline.engine import containers, labels
from saltline.engine.cleanup import MAX_RUN_AGE, abandoned, of_a_test_run, reap
from saltline.engine.containers import run_command
from saltline.errors import CommandTimeout, ContainerError
from saltline.pipeline import runner

NOW = 1_800_000_000.0
DEAD_PID = 2**22 + 12345  # above the kernel's pid_max: no such process


def run_labels(host: str = "runner1", pid: int = os.getpid(), age: float = 60) -> dict[str, str]:
    return {labels.MANAGED: "true", labels.RUN: "r1", labels.OWNER_HOST: host,
            labels.OWNER_PID: str(pid), labels.STARTED: str(int(NOW - age))}  # fmt: skip


@pytest.mark.parametrize(
    ("found", "gone"),
    [
        (run_labels(), False),  # this very process: alive
        (run_labels(pid=DEAD_PID), True),  # killed run of this host
        (run_labels(host="runner2", pid=DEAD_PID), False),  # another host: cannot tell yet
        (run_labels(host="runner2", age=MAX_RUN_AGE + 1), True),  # too old to be alive
        ({**run_labels(pid=DEAD_PID), labels.FLEET: "m"}, False),  # the fleet: never
        ({labels.MANAGED: "true", labels.RUN: "r0"}, True),  # an old saltline's run
        ({labels.MANAGED: "true"}, False),  # not a run's
        ({**run_labels(pid=DEAD_PID), labels.KEPT: "true"}, False),  # `test --keep`: stays
        ({"io.saltline.cache": "apt", labels.IMAGE: "apt-cache"}, False),  # the package cache
    ],
)
def test_only_runs_that_are_gone_are_reaped(found, gone):
    assert abandoned(found, "runner1", NOW) is gone


class EngineAPI:
    """The engine's exec calls: every command takes `seconds(command)` and exits `code`;
    its exit code is recorded only after `late` inspections (as a loaded engine does)."""

    base_url = "fake://engine"  # not HTTP: its output is read through exec_start

    def __init__(self, seconds, code: int, late: int = 0):
        self.seconds, self.code, self.late = seconds, code, late
        self.commands: dict[str, list[str]] = {}

    def exec_create(self, container_id, command):
        self.commands[str(len(self.commands))] = command
        return {"Id": str(len(self.commands) - 1)}

    def exec_start(self, exec_id, demux):
        time.sleep(self.seconds(self.commands[exec_id]))
        return (b"out", b"")

    def exec_inspect(self, exec_id):
        if self.late:
            self.late -= 1
            return {"Running": True, "ExitCode": None}
        return {"Running": False, "ExitCode": self.code}


class SlowContainer:
    """A container whose every command takes as long as `timeout` lets it."""

    name = "saltline-r1-render"
    id = "c1"

    def __init__(self, late: int = 0, code: int = 124):
        self.client = SimpleNamespace(api=EngineAPI(lambda command: float(command[2]), code, late))


def test_an_exit_code_the_engine_records_late_is_waited_for():
    """Not read as -1: a lease's `test -d` once said the lease had gone."""
    container = SlowContainer(late=3, code=0)
    container.client.api.seconds = lambda command: 0
    assert run_command(container, ["test", "-d", "/srv/saltline/deploy.lock"]).exit_code == 0


def test_an_exit_code_the_engine_never_records_is_an_error_not_a_made_up_code(monkeypatch):
    monkeypatch.setattr(containers, "EXIT_CODE_WAIT", 0.2)
    container = SlowContainer(late=1000, code=0)
    container.client.api.seconds = lambda command: 0
    with pytest.raises(ContainerError, match="did not record how test exited"):
        run_command(container, ["test", "-d", "/srv/saltline/deploy.lock"])


def test_a_command_that_outlives_its_timeout_names_container_and_command():
    with pytest.raises(
        CommandTimeout, match="saltline-r1-render: salt-call did not finish within 1s"
    ):
        run_command(SlowContainer(), ["salt-call", "state.apply"], timeout=1)


def test_destroy_removes_test_runs_but_never_the_fleet():
    assert of_a_test_run(run_labels())
    assert not of_a_test_run({labels.MANAGED: "true", labels.FLEET: "saltline-staging-master"})
    assert not of_a_test_run({labels.IMAGE: "minion"})  # inherited from our image: not ours
    assert not of_a_test_run({"io.saltline.cache": "apt", labels.IMAGE: "apt-cache"})


def offline_client() -> docker.DockerClient:
    """The Docker SDK's real models over an engine API that each test replaces."""
    return docker.DockerClient(base_url="unix:///nonexistent.sock", version="1.41")


def test_a_container_removed_between_listing_and_inspection_is_skipped(monkeypatch):
    """Another run's cleanup may remove a container while a reap lists them (CI, 2026-12-03)."""
    client = offline_client()
    left = run_labels(host="runner2", age=MAX_RUN_AGE + 1)
    listed = [{"Id": "gone", "Labels": left}, {"Id": "left", "Labels": left}]
    removed: list[str] = []

    def inspect(container_id):
        if container_id == "gone":
            raise docker.errors.NotFound("No such container: gone")
        return {"Id": container_id, "Name": "/saltline-r0-web1", "Config": {"Labels": left}}

    monkeypatch.setattr(client.api, "containers", lambda **_: listed)
    monkeypatch.setattr(client.api, "inspect_container", inspect)
    monkeypatch.setattr(client.api, "remove_container", lambda cid, **_: removed.append(cid))
    monkeypatch.setattr(client.api, "networks", lambda **_: [])
    monkeypatch.setattr(client.api, "volumes", lambda **_: {"Volumes": []})

    assert reap(client, now=NOW).containers == ["saltline-r0-web1"]
    assert removed == ["left"]


def test_leftovers_the_engine_refuses_to_remove_now_do_not_fail_the_run(monkeypatch):
    client = offline_client()
    left = {**run_labels(host="runner2"), labels.STARTED: "0"}  # a day old by any clock
    network = {"Id": "n1", "Name": "saltline-r0-net", "Labels": left}

    def busy(*_, **__):
        raise docker.errors.APIError("error while removing network: network has active endpoints")

    monkeypatch.setattr(client.api, "containers", lambda **_: [])
    monkeypatch.setattr(client.api, "networks", lambda **_: [network])
    monkeypatch.setattr(client.api, "inspect_network", lambda _: {"Containers": {}})
    monkeypatch.setattr(client.api, "remove_network", busy)
    monkeypatch.setattr(client.api, "volumes", lambda **_: {"Volumes": []})
    said = io.StringIO()

    runner._reap_leftovers(client, Console(said))

    assert "could not remove what runs that are gone left behind" in said.getvalue()
    assert "active endpoints" in said.getvalue()
