"""A minion's container: options merged platform then minion, failures its limits cause
told apart from failures of the Salt code, and exclusions shown in converge."""

from __future__ import annotations

import pytest

from saltline import config
from saltline.config import ContainerOptions, Exclusion, Minion, Platform, Target
from saltline.errors import ConfigError
from saltline.pipeline.container_limits import diagnose
from saltline.pipeline.stages import StageContext, converge
from saltline.salt_results import ApplyRun, StateResult
from tests.unit.pipeline.test_stages import ScriptedMinion


def failed(function: str, name: str, comment: str, state_id: str = "s1") -> StateResult:
    return StateResult(state_id, function, name, "kernel", False, {}, comment, 1.0, 0)


def test_a_minion_s_options_add_to_its_platform_s():
    platform = ContainerOptions(sysctls={"net.core.somaxconn": "1024"}, cap_add=("NET_ADMIN",))
    minion = ContainerOptions(sysctls={"net.core.somaxconn": "4096"}, cap_add=("NET_ADMIN",
                              "SYS_TIME"), privileged=True)  # fmt: skip
    merged = platform.merged(minion)
    assert merged.sysctls == {"net.core.somaxconn": "4096"}
    assert merged.cap_add == ("NET_ADMIN", "SYS_TIME") and merged.privileged
    assert ContainerOptions().given() == {}
    assert merged.given()["cap_add"] == ["NET_ADMIN", "SYS_TIME"]


def test_container_and_exclude_load_from_saltline_yml(tmp_path):
    path = tmp_path / "saltline.yml"
    path.write_text(
        'salt_version: "3007.13"\n'
        "platforms: {debian12: {suite: bookworm, container: {tmpfs: {/mnt/x: ''}}}}\n"
        "environments: [dev]\n"
        "minions:\n"
        "  db1:\n"
        "    container: {sysctls: {net.core.somaxconn: 1024}, privileged: true}\n"
        "    exclude: [{id: hugepages, reason: not namespaced}, {sls: kernel.modules, "
        "reason: host's}]\n"
    )
    loaded = config.load(path)
    db1 = loaded.minions["db1"]
    assert db1.exclude == (Exclusion("id", "hugepages", "not namespaced"),
                           Exclusion("sls", "kernel.modules", "host's"))  # fmt: skip
    target = Target(db1, loaded.platforms["debian12"], "dev", "3007.13")
    assert target.container.given() == {"sysctls": {"net.core.somaxconn": "1024"},
                                        "tmpfs": {"/mnt/x": ""}, "privileged": True}  # fmt: skip
    path.write_text(path.read_text().replace("privileged: true", "privileged: maybe"))
    with pytest.raises(ConfigError, match=r"minions\.db1\.container\.privileged: expected"):
        config.load(path)
    path.write_text(path.read_text().replace("{id: hugepages, reason: not namespaced}",
                                             "{id: hugepages}"))  # fmt: skip
    with pytest.raises(ConfigError, match=r"minions\.db1\.exclude\.0"):
        config.load(path)


@pytest.mark.parametrize(
    ("state", "cause", "lift"),
    [
        (failed("sysctl.present", "net.core.somaxconn", "Failed to set net.core.somaxconn to "
                '4096: sysctl -w failed: sysctl: permission denied on key "net.core.somaxconn"'),
         "net.core.somaxconn is namespaced",
         "minions.db1.container.sysctls: {net.core.somaxconn: 4096}"),
        (failed("sysctl.present", "vm.overcommit_memory", "Failed to set vm.overcommit_memory "
                'to 1: sysctl -w failed: sysctl: permission denied on key "vm.overcommit_memory"'),
         "vm.overcommit_memory is not namespaced",
         "minions.db1.container.privileged: true (it then changes the HOST), or leave it to "
         "real hosts: minions.db1.exclude: [{id: s1, reason: …}]"),
        (failed("kmod.present", "dummy", "modprobe: FATAL: Module dummy not found in directory"),
         "kernel modules are the host's", "with the host's /lib/modules"),
        (failed("mount.mounted", "/mnt/data", "mount: /mnt/data: permission denied."),
         "a container may not mount this", "cap_add/devices"),
        (failed("file.managed", "/sys/kernel/mm/transparent_hugepage/enabled",
                "Unable to manage file: [Errno 30] Read-only file system"),
         "/sys and /proc/sys are read-only", "privileged: true"),
    ],
)  # fmt: skip
def test_a_failure_the_container_causes_names_what_lifts_it(state, cause, lift):
    limit = diagnose(state, "db1")
    assert limit is not None
    assert cause in limit.cause and lift in limit.lift


def test_a_failure_of_the_salt_code_is_not_a_container_limit():
    for state in (
        failed("cmd.run", "false", 'Command "false" run'),
        failed("sysctl.present", "net.x", "sysctl net.x does not exist"),
        failed("file.managed", "/etc/x", "Source file salt://x not found"),
    ):
        assert diagnose(state, "db1") is None


def test_converge_reports_limits_apart_and_shows_exclusions(tmp_path):
    minion = Minion("db1", ("db",), ("debian12",), exclude=(Exclusion("id", "dummy", "host's"),))
    platform = Platform("debian12", "bookworm", "debian:bookworm")
    settings = config.Config(path=tmp_path / "saltline.yml", salt_version="3007.13",
                             platforms={"debian12": platform}, minions={"db1": minion},
                             environments=("dev",), timeouts={"converge": 60})  # fmt: skip
    limited = failed("sysctl.present", "vm.overcommit_memory", "Failed to set "
                     "vm.overcommit_memory to 1: sysctl: permission denied on key")  # fmt: skip
    run = ApplyRun(states=[limited])
    ctx = StageContext(ScriptedMinion(run), Target(minion, platform, "dev", "3007.13"),
                       settings, tmp_path)  # type: ignore[arg-type]  # fmt: skip
    result = converge(ctx)
    assert result.status == "failed"
    assert result.message.startswith("container limit: state 's1' (sysctl.present) in SLS kernel")
    assert result.message.endswith("\nexcluded in containers: id dummy (host's)")
    assert result.details["container_limits"][0]["state"] == "s1"
    assert result.details["excluded"] == [{"id": "dummy", "reason": "host's"}]
    assert [(c.name, c.skipped) for c in result.cases if c.skipped] == [
        ("excluded: id dummy", "not applied in containers: host's")
    ]
