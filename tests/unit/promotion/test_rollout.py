"""The pure parts of a rollout: batches, liveness, minion returns and dry-run verdicts."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from saltline.engine.containers import CommandResult
from saltline.errors import SaltOutputError
from saltline.master_url import parse_master_url
from saltline.promotion import environment, remote
from saltline.promotion.rollout import SaltMaster, batches, failures, predict, would_change
from saltline.salt_results import parse_apply, parse_minion_returns


def test_batches_keep_order_and_size():
    assert batches(["a", "b", "c", "d", "e"], 2) == [["a", "b"], ["c", "d"], ["e"]]
    assert batches(["a"], 5) == [["a"]]
    assert batches([], 3) == []


class ScriptedMaster:
    """A transport that answers every command with one output, and records the commands."""

    address = parse_master_url("docker://scripted-master")

    def __init__(self, stdout: str, exit_code: int = 0):
        self.result = CommandResult(exit_code, stdout, "")
        self.commands: list[list[str]] = []

    def run(self, command: list[str], stdin: bytes | None = None) -> CommandResult:
        self.commands.append(command)
        return self.result

    def unpack(self, directory: str, tar: bytes) -> None:
        raise AssertionError("not used")


def test_a_liveness_check_pings_only_the_minions_asked_about():
    master = ScriptedMaster(json.dumps({"web1": True, "web2": "Minion did not return."}), 2)
    assert SaltMaster(master, timeout=40).alive(["web1", "web2"]) == {"web1"}
    (command,) = master.commands
    assert command[0] == "salt" and command[-3:] == ["-L", "web1,web2", "test.ping"]
    assert SaltMaster(master, timeout=40).alive([]) == set()
    assert len(master.commands) == 1  # nobody to ask: no command


def test_a_liveness_check_that_gets_no_json_says_what_the_master_said():
    master = ScriptedMaster("Salt request timed out. The master is not responding.", 1)
    with pytest.raises(SaltOutputError, match=r"scripted-master: test\.ping did not print JSON"):
        SaltMaster(master, timeout=40).alive(["web1"])


def state(state_id: str, result, changes=None) -> dict:
    return {"__id__": state_id, "__sls__": "web", "result": result, "changes": changes or {},
            "comment": f"{state_id} said so", "__run_num__": 0}  # fmt: skip


def test_minion_returns_name_the_minions_that_did_not_return():
    stdout = json.dumps({
        "web1": {"pkg_|-nginx_|-nginx_|-installed": state("nginx", None, {"nginx": {"new": "1"}})},
        "web2": "Minion did not return. [Not connected]",
    })  # fmt: skip
    runs = parse_minion_returns(stdout, ["web1", "web2", "web3"])
    assert runs["web2"] is None and runs["web3"] is None
    assert would_change(runs) == {"web1": ["nginx"]}
    assert failures(runs) == {
        "web2": "did not return (down or disconnected)",
        "web3": "did not return (down or disconnected)",
    }


def test_an_empty_return_is_a_failure_not_a_success():
    runs = parse_minion_returns(json.dumps({"web1": {}}), ["web1"])
    assert failures(runs) == {"web1": "returned no state results (stopped mid-run?)"}


def test_failed_states_and_render_errors_fail_the_minion():
    stdout = json.dumps({
        "web1": {"file_|-site_|-/etc/x_|-managed": state("site", False)},
        "db1": ["Rendering SLS 'base:db' failed: Jinja variable 'x' is undefined"],
        "db2": {"file_|-ok_|-/etc/y_|-managed": state("ok", True)},
    })  # fmt: skip
    verdicts = failures(parse_minion_returns(stdout, ["web1", "db1", "db2"]))
    assert verdicts == {
        "web1": "state 'site' (file.managed) in SLS web failed: site said so",
        "db1": "Rendering SLS 'base:db' failed: Jinja variable 'x' is undefined",
    }


def test_a_dry_run_names_modules_that_load_only_after_the_highstate_installs_them(fixture_text):
    run = parse_apply(fixture_text("render", "unloadable_module.stdout"))
    prediction = predict(run)
    assert not prediction.fails
    assert prediction.after_install == [
        "postgres-databases-shop-postgres-user-present (postgres_user.present)"
    ]
    assert prediction.failures == []  # the database waits only for that user


def test_a_dry_run_predicts_real_failures_in_one_line_each():
    stdout = json.dumps({"local": {
        "file_|-site_|-/etc/x_|-managed": state("site", False),
        "pkg_|-nginx_|-nginx_|-installed": state("nginx", None, {"nginx": {"new": "1"}}),
    }})  # fmt: skip
    prediction = predict(parse_apply(stdout))
    assert prediction.fails
    assert prediction.failures == ["site: site said so"]
    assert prediction.changes == ["nginx"]
    assert predict(None).error == "did not return (down or disconnected)"


class DryRunMaster(ScriptedMaster):
    """Pings answer; the dry run's cmd.run_all returns `returned` for web1."""

    def __init__(self, returned: dict):
        super().__init__("")
        self.returned = returned

    def run(self, command: list[str], stdin: bytes | None = None) -> CommandResult:
        self.commands.append(command)
        if "test.ping" in command:
            return CommandResult(0, json.dumps({"web1": True}), "")
        return CommandResult(0, json.dumps({"web1": self.returned}), "")


def test_a_dry_run_the_live_master_answered_fails_by_name_not_as_no_changes():
    said = "its dry run reached a master that is not the candidate (read back as 'live')"
    master = DryRunMaster({"retcode": remote.Exit.NOT_CANDIDATE, "stdout": "", "stderr": said})
    runs = SaltMaster(master, timeout=40).test_candidate(["web1"], 4606, "t0ken")
    prediction = predict(runs["web1"])
    assert prediction.fails
    assert prediction.error == f"not tested against the candidate: {said}"
    assert master.commands[-1][-1].endswith(" t0ken")  # the token travels to the minion


# What Salt answers for a minion its top file gives nothing (`salt -L … state.apply`)
NO_TOP = {
    "no_|-states_|-states_|-None": {
        "result": False, "name": "No States", "changes": {}, "__run_num__": 0,
        "comment": "No Top file or master_tops data matches found. Please see master log "
                   "for details.",
    }
}  # fmt: skip


def test_a_minion_the_top_file_does_not_match_is_not_a_target_nor_a_failure():
    stdout = json.dumps({"salt-master-minion": NO_TOP, "web1": {}})
    runs = parse_minion_returns(stdout, ["salt-master-minion"])
    run = runs["salt-master-minion"]
    assert run is not None and run.untargeted
    assert failures(runs) == {}
    prediction = predict(run)
    assert prediction.untargeted and not prediction.fails


class BusyMaster(ScriptedMaster):
    """web1 runs a scheduled highstate for `busy_for` looks at its jobs, then is idle."""

    def __init__(self, busy_for: int):
        super().__init__("")
        self.looks = 0
        self.busy_for = busy_for

    def run(self, command: list[str], stdin: bytes | None = None) -> CommandResult:
        self.commands.append(command)
        self.looks += 1
        jobs = (
            [{"fun": "state.apply", "jid": "20261207120000"}] if self.looks <= self.busy_for else []
        )
        running = {"web1": [*jobs, {"fun": "test.sleep", "jid": "1"}], "db1": []}
        return CommandResult(0, json.dumps(running), "")


@pytest.mark.parametrize(("busy_for", "expected"), [(0, {}), (2, {}), (10**6, {"web1": "x"})])
def test_a_batch_waits_for_its_busy_minions_then_fails_naming_the_job(
    monkeypatch, busy_for, expected
):
    monkeypatch.setattr(environment, "BUSY_POLL", 0.01)
    salt = SaltMaster(BusyMaster(busy_for), timeout=40)
    assert salt.busy(["db1"]) == {}  # db1 runs nothing; web1 is not asked about
    said: list[str] = []
    fake = SimpleNamespace(config=SimpleNamespace(promotion=SimpleNamespace(busy_wait=1)),
                           console=SimpleNamespace(say=said.append))  # fmt: skip
    busy = environment.Environment._wait_while_busy(fake, salt, ["web1", "db1"])  # type: ignore[arg-type]
    assert set(busy) == set(expected)
    if expected:
        assert busy["web1"] == (
            "busy: state.apply (job 20261207120000) still running after 1s (nothing of its "
            "batch changed)"
        )
    assert bool(said) == bool(busy_for)  # said that it waits, and for what
