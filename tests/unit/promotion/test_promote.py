"""The end of a promotion, with release stores on this machine: nothing counts as rolled
out unless everything after the mark succeeded, or a failure there undoes nothing."""

from __future__ import annotations

import io
from types import SimpleNamespace

import pytest

from saltline.console import Console
from saltline.errors import SaltlineError
from saltline.promotion.promote import PromoteOptions, _Promotion
from saltline.promotion.release import ReleaseStore
from tests.unit.promotion.test_release import LocalTransport, deploy, release_tar

NEW = "b" * 40


class FailingPrune(ReleaseStore):
    def prune(self, keep: int) -> list[str]:
        raise SaltlineError("master docker://local-test-master: rm failed (a full disk?)")


class FailingMark(ReleaseStore):
    def mark_rolled_out(self, sha: str, entry: dict[str, object]) -> None:
        if sha == NEW:
            raise SaltlineError("master docker://local-test-master: history not written")
        super().mark_rolled_out(sha, entry)


def promotion(tmp_path, *kinds: type[ReleaseStore]) -> tuple[_Promotion, list[ReleaseStore]]:
    """A promotion of NEW switched on masters of these kinds (each on `a` before)."""
    stores = []
    for index, kind in enumerate(kinds):
        store = kind(LocalTransport(tmp_path / f"master{index}"))
        deploy(store, "a" * 40)
        store.upload(NEW, release_tar(NEW), {"sha": NEW})
        stores.append(store)
    logged: list[str] = []
    environment = SimpleNamespace(
        name="staging", stores=stores, console=Console(io.StringIO()),
        config=SimpleNamespace(
            promotion=SimpleNamespace(keep_releases=5, batch_size=1), signing_key=None
        ),
        log=lambda action, sha, outcome, **details: logged.append(outcome),
    )  # fmt: skip
    run = _Promotion(environment, NEW, PromoteOptions("staging"))  # type: ignore[arg-type]
    run._switch()
    run.logged = logged  # type: ignore[attr-defined]
    return run, stores


def test_a_failure_after_the_rollout_was_marked_undoes_nothing(tmp_path):
    run, stores = promotion(tmp_path, ReleaseStore, FailingPrune)
    run._finish()
    assert [store.current() for store in stores] == [NEW, NEW]
    assert all(store.reached(NEW) for store in stores)
    assert run.logged == ["promoted"]  # type: ignore[attr-defined]


def test_a_rollout_undone_after_its_mark_is_withdrawn_where_it_was_marked(tmp_path):
    run, stores = promotion(tmp_path, ReleaseStore, FailingMark)
    with pytest.raises(SaltlineError):
        run._finish()
    run._undo("failed", error="history not written")
    assert [store.current() for store in stores] == ["a" * 40, "a" * 40]
    assert not any(store.reached(NEW) for store in stores)
    assert stores[0].withdrawn() == [NEW]
