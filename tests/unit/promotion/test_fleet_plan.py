"""What a rollout sends where on a real fleet: unreachable and untargeted minions left
out of the plan, each batch refreshed on its own, scheduled highstates paused and
resumed (also after a kill), and only this promotion's jobs killed on an undo."""

from __future__ import annotations

import io
from types import SimpleNamespace

from saltline.console import Console
from saltline.promotion import schedules
from saltline.promotion.environment import Environment
from saltline.promotion.promote import PromoteOptions, _Promotion
from saltline.promotion.release import ReleaseStore
from saltline.promotion.rollout import SaltMaster
from tests.unit.promotion.fake_minions import FakeMinion, FakeSaltMaster
from tests.unit.promotion.test_release import LocalTransport

HIGHSTATE = {"function": "state.apply", "minutes": 30}


def fleet(tmp_path, **minions: FakeMinion) -> tuple[Environment, FakeSaltMaster, ReleaseStore]:
    """An Environment over one fake master (its release store a local directory)."""
    master = FakeSaltMaster(minions)
    (tmp_path / "srv").mkdir()
    store = ReleaseStore(LocalTransport(tmp_path / "srv"))
    env = Environment.__new__(Environment)
    env.name = "staging"
    env.console = Console(io.StringIO())
    env.config = SimpleNamespace(promotion=SimpleNamespace(busy_wait=1, unreachable="fail",
                                                            ping_timeout=5))  # fmt: skip
    env.salts = [SaltMaster(master, timeout=40)]
    env.stores = [store]
    env.masters = [master]
    env._plan = None
    return env, master, store


def said(env: Environment) -> str:
    return env.console.stream.getvalue()  # type: ignore[attr-defined]


def test_each_batch_gets_the_release_s_modules_and_pillar_just_before_its_own_apply(tmp_path):
    env, master, _ = fleet(tmp_path, web1=FakeMinion(), web2=FakeMinion(), db1=FakeMinion())
    applied: list[str] = []
    assert env.rollout(2, applied, tag="t1") == {}
    syncs_and_applies = [(f, t) for f, t, _ in master.calls if f != "test.ping"
                         and f != "saltutil.running"]  # fmt: skip
    sync = "saltutil.sync_all,saltutil.refresh_pillar"
    assert syncs_and_applies == [
        (sync, ["db1", "web1"]), ("state.apply", ["db1", "web1"]),
        (sync, ["web2"]), ("state.apply", ["web2"]),
    ]  # fmt: skip
    apply_args = [args for f, _, args in master.calls if f == "state.apply"]
    assert all(args == ["saltline_job=t1"] for args in apply_args)
    assert applied == ["db1", "web1", "web2"]


def test_an_undo_re_applies_only_the_minions_that_ran_the_release(tmp_path):
    env, master, _ = fleet(tmp_path, web1=FakeMinion(), web2=FakeMinion(), db1=FakeMinion())
    again: list[str] = []
    env.rollout(1, again, tolerant=True, only=["web1"])
    assert master.sent("state.apply") == [["web1"]]
    assert again == ["web1"]


def test_unreachable_minions_are_named_and_left_out_of_the_plan(tmp_path):
    env, master, _ = fleet(tmp_path, web1=FakeMinion(), old1=FakeMinion(alive=False))
    assert env.unreachable_minions() == ["old1"]
    env.leave_out({"old1"})
    applied: list[str] = []
    env.rollout(5, applied)
    assert applied == ["web1"] and master.sent("state.apply") == [["web1"]]


def promotion_over(env: Environment, dry_run: bool = False) -> _Promotion:
    logged: list[tuple[str, dict]] = []
    env.log = lambda action, sha, outcome, **details: logged.append((outcome, details))  # type: ignore[method-assign]
    run = _Promotion(env, "b" * 40, PromoteOptions("staging", dry_run=dry_run))
    run.logged = logged  # type: ignore[attr-defined]
    return run


def test_under_unreachable_fail_a_promotion_is_refused_before_anything_changes(tmp_path):
    env, master, _ = fleet(tmp_path, web1=FakeMinion(), old1=FakeMinion(alive=False))
    run = promotion_over(env)
    assert run._plan_targets() is False
    assert run.logged == [("refused", {"reasons": [  # type: ignore[attr-defined]
        "staging/old1 did not answer a ping within 5s (a stale key, a stopped host?): start "
        "them, delete their keys (salt-key -d), or set promotion.unreachable: skip"],
        "unreachable": ["old1"]})]  # fmt: skip
    assert master.sent("state.apply") == []
    dry = promotion_over(env, dry_run=True)  # a dry run goes on, and will fail
    assert dry._plan_targets() is True and dry.unreachable_refused


def test_under_unreachable_skip_they_are_left_out_and_recorded_with_the_rollout(tmp_path):
    env, _, _ = fleet(tmp_path, web1=FakeMinion(), old1=FakeMinion(alive=False))
    env.config.promotion.unreachable = "skip"
    run = promotion_over(env)
    assert run._plan_targets() is True
    assert run.left_out == {"skipped": ["old1"]}
    assert env.minions()[0][1] == ["web1"]
    assert "skipped (promotion.unreachable: skip): staging/old1" in said(env)


def test_scheduled_highstates_are_paused_for_the_block_and_resumed_on_any_outcome(tmp_path):
    web1 = FakeMinion(schedule={"highstate": dict(HIGHSTATE), "mine": {"function": "mine.update"}})
    db1 = FakeMinion(schedule={"hs": {**HIGHSTATE, "enabled": False}})  # off already: left off
    env, master, store = fleet(tmp_path, web1=web1, db1=db1)
    try:
        with env.schedules_paused():
            assert web1.schedule["highstate"]["enabled"] is False
            assert "enabled" not in web1.schedule["mine"]  # not a state job: runs on
            assert store.paused() == {"web1": ["highstate"]}  # recorded on the master
            raise RuntimeError("a failure inside")
    except RuntimeError:
        pass
    assert web1.schedule["highstate"]["enabled"] is True
    assert db1.schedule["hs"]["enabled"] is False
    assert store.paused() == {}
    assert [args for f, _, args in master.calls if f.endswith("_job")] == [
        ["highstate", "persist=False"], ["highstate", "persist=False"]
    ]  # fmt: skip


def test_what_a_killed_promotion_paused_is_resumed_by_the_next_command(tmp_path):
    web1 = FakeMinion(schedule={"highstate": dict(HIGHSTATE)})
    env, master, store = fleet(tmp_path, web1=web1)
    schedules.pause(store, env.salts[0], ["web1"])  # … then SIGKILL: nothing resumes
    assert web1.schedule["highstate"]["enabled"] is False
    later = ReleaseStore(LocalTransport(tmp_path / "srv"))  # the next command, its own store
    assert schedules.resume(later, SaltMaster(master, timeout=40)) == {"web1": ["highstate"]}
    assert web1.schedule["highstate"]["enabled"] is True and later.paused() == {}


def test_an_undo_kills_only_this_promotion_s_jobs(tmp_path):
    ours = {"fun": "state.apply", "jid": "111", "arg": [{"__kwarg__": True, "saltline_job": "tok"}]}
    theirs = {"fun": "state.apply", "jid": "222", "schedule": "highstate"}
    web1 = FakeMinion(running=[dict(ours), dict(theirs)])
    web2 = FakeMinion(running=[dict(ours)])
    env, master, _ = fleet(tmp_path, web1=web1, web2=web2)
    killed = env.salts[0].kill_tagged(["web1", "web2"], "tok")
    assert killed == {"web1": ["111"], "web2": ["111"]}
    assert [(t, a) for f, t, a in master.calls if f == "saltutil.kill_job"] == [
        (["web1", "web2"], ["111"])
    ]  # one command for the job, on all its minions
    assert [job["jid"] for job in web1.running] == ["222"]


def test_an_undo_asks_a_minion_too_busy_to_answer_again_before_giving_up_on_its_job(tmp_path):
    ours = {"fun": "state.apply", "jid": "111", "arg": [{"__kwarg__": True, "saltline_job": "tok"}]}
    web1 = FakeMinion(running=[dict(ours)], busy_for=2)
    env, _, _ = fleet(tmp_path, web1=web1)
    assert env.salts[0].kill_tagged(["web1"], "tok") == {"web1": ["111"]}
    assert web1.running == []
