"""`saltline promote`: a tested commit onto every master of an environment, or onto none.

    saltline promote staging            # HEAD, after a recorded pass
    saltline promote prod 3f2a9c1       # only once 3f2a9c1 has reached staging
    saltline promote prod --dry-run     # what would change, through the candidate master
    saltline promote staging --dry-run --untested   # of a commit the gate refuses (its
                                    # findings become notes); never on a protected one

Under the environment's deploy lease:
1. upload the release to every master and verify it there (nothing live changes);
2. dry-run it through each master's candidate master (nothing live sees it); predicted
   failures stop here, unless `--force --reason`;
3. switch `current` on every master; a failure switches every master back;
4. apply in batches; a failed batch switches every master back and re-applies the
   previous release on the minions already changed (unless `--keep-on-failure`);
5. record on every master that the rollout finished: only now has the commit
   "reached" the environment.

Exit codes: 0 promoted (or a clean dry run); 1 refused, failed or a dry run that
predicts failures, with what was changed and what was restored; 2 bad input, nothing
changed; 130 interrupted (switched back, audited).
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from saltline import interrupts
from saltline.config import Config
from saltline.console import Console
from saltline.errors import GitError, SaltlineError
from saltline.estate import git
from saltline.promotion import (
    audit,
    bundle,
    candidate,
    gate,
    lease,
    pass_records,
    release,
    signing,
    tested_predictions,
)
from saltline.promotion.environment import Connect, Environment
from saltline.promotion.release import ReleaseStore
from saltline.promotion.rollout import MinionRuns, Prediction, predict


@dataclass(frozen=True)
class PromoteOptions:
    environment: str
    rev: str = "HEAD"
    dry_run: bool = False
    batch_size: int | None = None
    force: bool = False
    reason: str | None = None
    keep_on_failure: bool = False
    untested: bool = False  # a dry run of a commit the gate refuses (not where protected)
    reports_dir: Path | None = None


def promote(config: Config, options: PromoteOptions, connect: Connect, console: Console) -> int:
    if options.force and not options.reason:
        raise SaltlineError('--force needs --reason "why this override is safe" (it is audited)')
    if options.untested and not options.dry_run:
        raise SaltlineError("--untested goes with --dry-run only; a promotion needs the gate")
    if options.dry_run and (options.force or options.keep_on_failure):
        given = "--force" if options.force else "--keep-on-failure"
        raise SaltlineError(
            f"--dry-run and {given}: a dry run changes nothing, so it has nothing to "
            "force or keep (a dry run of a commit the gate refuses: --untested)"
        )
    environment = Environment(config, options.environment, connect, console)
    sha = git.resolve(config.root, options.rev)
    refusals, passes = _refusals(config, options, sha, connect, console)
    if refusals and options.dry_run:
        # A dry run runs the commit's Jinja, modules and onlyif/unless as root on the
        # environment's masters and minions: under the gate, unless asked for by name.
        protected = options.environment in config.protected
        if not options.untested or protected:
            why = (f"{options.environment} is protected: a dry run there needs a commit the "
                   "gate passes" if protected else
                   "a dry run runs the commit's code on the live hosts; --untested to "
                   "preview it anyway (not on a protected environment)")  # fmt: skip
            environment.log("promote", sha, "refused", reasons=[*refusals, why], dry_run=True)
            for reason in [*refusals, why]:
                console.say(f"refused: {reason}")
            return 1
        environment.log("promote", sha, "untested-dry-run", reasons=refusals)
        for reason in refusals:
            console.say(f"note: a promotion would be refused: {reason}")
    elif refusals and not options.force:
        environment.log("promote", sha, "refused", reasons=refusals)
        for reason in refusals:
            console.say(f"refused: {reason}")
        return 1
    elif refusals:
        environment.log("promote", sha, "override", reasons=refusals, reason=options.reason)
        console.say(f"override ({options.reason}): " + "; ".join(refusals))
    with environment.leased("promote", sha) as holder:
        return _Promotion(environment, sha, options, passes, holder).run()


def _refusals(
    config: Config, options: PromoteOptions, sha: str, connect: Connect, console: Console
) -> tuple[list[str], list[pass_records.PassRecord]]:
    """Why the gate refuses `sha` for the environment (nothing: it passes), and the pass
    records that count (they travel with the release, for the masters' own check)."""
    root = config.root
    reasons = []
    dirty = git.dirty_paths(root)
    if dirty:
        reasons.append(f"the working tree is dirty ({', '.join(dirty[:5])}); commit or stash first")
    allowed = config.allowed_signers(options.environment)
    if allowed is None and options.environment in config.protected:
        reasons.append(
            f"{options.environment} is protected and no allowed_signers are configured: "
            "only signed passes may reach it (README: Signed passes)"
        )
    elif allowed is None:
        console.say("warning: passes are not signed (no promotion.allowed_signers): anyone "
                    "who can write git notes or reports can write one")  # fmt: skip
    found = pass_records.read(root, sha, options.reports_dir or root / "reports", allowed)
    for warning in found.warnings:
        console.say(f"warning: {warning}")
    try:
        expected = gate.fingerprint(config, sha)
    except GitError as exc:
        reasons.append(f"{sha[:12]} cannot be checked against its passes: {exc}")
    else:
        if why := gate.verdict(found.records, expected, found.refused):
            reasons.append(why)
    order = config.promotion_order
    position = order.index(options.environment)
    if position > 0:
        previous = Environment(config, order[position - 1], connect, console)
        for store in previous.stores:
            if why := gate.rollout_refusal(store.rollout_of(sha), sha, previous.name, allowed):
                reasons.append(f"{why}; promote it to {previous.name} first")
                break
    return reasons, found.records


class _Promotion:
    """One promotion under the lease: each phase, and what undoes it."""

    def __init__(
        self,
        environment: Environment,
        sha: str,
        options: PromoteOptions,
        passes: list[pass_records.PassRecord] | None = None,
        holder: lease.Holder | None = None,
    ):
        self.env = environment
        self.sha = sha
        self.passes = passes or []
        self.holder = holder  # the lease, checked before the switch and every batch
        self.options = options
        self.console = environment.console
        self.config = environment.config
        self.before: dict[int, str | None] = {}  # by store index: what `current` was
        self.switched: list[int] = []
        self.applied: list[str] = []
        self.marked: list[int] = []  # by store index: where the rollout was marked finished
        self.rollout_record: dict[str, Any] = {}  # its statement and signature, once uploaded
        self.verified: dict[str, str | None] = {}  # by master: who signed, as it checked
        # what the rollout leaves out: "skipped" (unreachable), "not_targeted" (the top file)
        self.left_out: dict[str, list[str]] = {}
        self.unreachable_refused = False  # a dry run: a promotion would refuse them
        # sent with every apply (saltline_job=TAG), so that an undo finds and kills its jobs
        self.tag = holder.token if holder else secrets.token_hex(8)

    def run(self) -> int:
        try:
            if not self._plan_targets():
                return 1
            self._upload()
            predictions = self._dry_run()
            self._leave_out_untargeted(predictions)
            predicted = {m: p for m, p in predictions.items() if p.fails}
            if self.options.dry_run:
                self._log("dry-run", would_change=_changes(predictions),
                          would_fail=_failures(predicted), **self.left_out)  # fmt: skip
                return 1 if predicted or self.unreachable_refused else 0
            if predicted and not self.options.force:
                self._log("refused", reasons=["the dry run predicts failures"],
                          would_fail=_failures(predicted))  # fmt: skip
                self.console.say("refused: the dry run predicts failures (above); fix them, or "
                                 '--force --reason "…" if they are expected')  # fmt: skip
                return 1
            with self.env.schedules_paused():
                return self._go_live()
        except KeyboardInterrupt:
            self._undo("interrupted")
            raise
        except lease.LeaseLost as exc:  # whoever broke it owns the environment now
            switched = [str(self.env.stores[i].master.address) for i in self.switched]
            self._log("lease-lost", error=str(exc), applied=self.applied, switched=switched)
            raise
        except SaltlineError as exc:
            if not self.switched:
                self._log("failed", error=str(exc), changed="nothing live")
                raise
            self.console.say(f"error: {exc}")
            self._undo("failed", error=str(exc))
            return 1
        except Exception as exc:  # saltline's own bug: undone and audited all the same
            error = f"{type(exc).__name__}: {exc}"
            if self.switched:
                self._undo("failed", error=error)
            else:
                self._log("failed", error=error, changed="nothing live")
            raise

    def _go_live(self) -> int:
        """Switch, update the masters, roll out in batches, mark the rollout finished."""
        self._fence()
        self._switch()
        self._fence()  # before the minions see anything of the release
        self.env.update_masters()
        failed = self.env.rollout(self._batch_size(), self.applied, fence=self._fence,
                                  tag=self.tag)  # fmt: skip
        if failed:
            return self._failed_rollout(failed)
        self._finish()
        return 0

    def _plan_targets(self) -> bool:
        """Name the planned minions that do not answer, before anything changes;
        `promotion.unreachable` decides: `fail` refuses a promotion (a dry run goes on
        and fails), `skip` leaves them out, audited. False: refused."""
        silent = self.env.unreachable_minions()
        if not silent:
            return True
        names = ", ".join(f"{self.env.name}/{minion}" for minion in silent)
        wait = self.config.promotion.ping_timeout
        if self.config.promotion.unreachable == "skip":
            self.env.leave_out(set(silent))
            self.left_out["skipped"] = silent
            self.console.say(
                f"skipped (promotion.unreachable: skip): {names} did not answer a ping within "
                f"{wait}s; they stay on the release they have, and `saltline status "
                f"{self.env.name}` names them until a promotion reaches them"
            )
            return True
        why = (f"{names} did not answer a ping within {wait}s (a stale key, a stopped "
               "host?): start them, delete their keys (salt-key -d), or set "
               "promotion.unreachable: skip")  # fmt: skip
        if self.options.dry_run:
            self.unreachable_refused = True
            self.console.say(f"note: a promotion would be refused: {why}")
            return True
        self._log("refused", reasons=[why], unreachable=silent)
        self.console.say(f"refused: {why}")
        return False

    def _leave_out_untargeted(self, predictions: dict[str, Prediction]) -> None:
        """Minions the release's top file gives nothing are not part of the rollout."""
        untargeted = sorted(m for m, p in predictions.items() if p.untargeted)
        if untargeted:
            self.env.leave_out(set(untargeted))
            self.left_out["not_targeted"] = untargeted

    def _upload(self) -> None:
        stamp = {
            "sha": self.sha, "tree": git.tree_of(self.config.root, self.sha),
            "environment": self.env.name,
            **audit.who(),
        }  # fmt: skip
        tar = bundle.release_tar(self.config, self.sha)
        digest = release.content_digest(tar)
        # signed now, while nothing has changed: a key that cannot sign refuses the
        # promotion here, not once its rollout has finished
        self.rollout_record = signing.rollout_record(
            self.sha, digest, self.env.name, audit.utc_timestamp(), self.config.signing_key
        )
        for store in self.env.stores:
            store.upload(self.sha, tar, stamp)
            store.put_passes(self.sha, [record.to_json() for record in self.passes])
            self.console.say(f"{store.master.address}: releases/{self.sha[:12]} uploaded, verified")

    def _dry_run(self) -> dict[str, Prediction]:
        """test=True on every minion against the candidate; nothing live sees the release."""
        port = self.config.promotion.candidate_port
        token = secrets.token_hex(12)  # what only this dry run's candidates serve
        runs: MinionRuns = {}
        plan = self.env.minions()
        try:  # every candidate master first: a multi-master minion may ask any of them
            for store in self.env.stores:
                store.offer(self.sha)
                lifetime = 3 * self.config.promotion.timeout + 120
                candidate.start(store.master, port, lifetime, token)
            for store in self.env.stores:
                candidate.wait_until_listening(
                    store.master, port, self.config.promotion.candidate_start_timeout
                )
            for salt, minions in plan:
                runs.update(salt.test_candidate(minions, port, token))
        finally:
            for store in self.env.stores:
                candidate.stop(store.master)
        predictions = {minion: predict(run) for minion, run in sorted(runs.items())}
        tested = tested_predictions.from_passes(self.passes)
        for minion, prediction in predictions.items():
            seen = tested.get(minion) if tested is not None else None
            for line in _describe(prediction) + tested_predictions.lines(prediction.changes, seen):
                self.console.say(f"dry run {self.env.name}/{minion}: {line}")
        self._write_report(runs, predictions, tested)
        return predictions

    def _write_report(
        self,
        runs: MinionRuns,
        predictions: dict[str, Prediction],
        tested: dict[str, dict[str, set[str]]] | None,
    ) -> None:
        """Salt's whole dry-run output, for whoever needs more than the one-line verdicts,
        with what tests saw of its prediction (`tested_predictions`)."""
        reports = self.options.reports_dir or self.config.root / "reports"
        reports.mkdir(parents=True, exist_ok=True)
        path = reports / f"dry-run-{self.env.name}-{self.sha[:12]}.json"
        document = {
            minion: None if run is None else {
                "errors": run.errors,
                "states": [state.__dict__ for state in run.states],
                "prediction_in_tests": tested_predictions.report(
                    predictions[minion].changes,
                    tested.get(minion) if tested is not None else None,
                ),
            }
            for minion, run in runs.items()
        }  # fmt: skip
        path.write_text(json.dumps(document, indent=2, default=str) + "\n")
        self.console.say(f"dry run: Salt's full output in {path}")

    def _fence(self) -> None:
        """Stop here unless this promotion still holds the lease on every master."""
        if self.holder is not None:
            for store in self.env.stores:
                lease.check_held(store, self.holder)

    def _switch(self) -> None:
        """Phase 2: `current` on every master, recording what each served before."""
        entry = {"action": "promote", **audit.who()}
        for index, store in enumerate(self.env.stores):
            self.before[index] = store.current()
        for index, store in enumerate(self.env.stores):
            self.switched.append(index)  # before: an interrupted switch may have happened
            verified = store.switch(self.sha, entry)
            self.verified[str(store.master.address)] = verified
            checked = f" (the master checked its pass: {verified})" if verified else ""
            self.console.say(
                f"{store.master.address}: releases/{self.sha[:12]} is current{checked}"
            )

    def _failed_rollout(self, failed: dict[str, str]) -> int:
        if self.options.keep_on_failure:
            self._log("failed", failures=failed, applied=self.applied, kept=True)
            self.console.say(f"kept {self.sha[:12]} on {self.env.name} (--keep-on-failure)")
            return 1
        self._undo("rolled-back", failures=failed)
        return 1

    def _undo(self, outcome: str, **details: Any) -> None:
        """Switch every master back; re-apply the previous release where it was applied.
        SIGINT and SIGTERM wait until the masters are back (`interrupts.deferred`)."""
        restored: dict[str, str | None] = {}
        try:
            with interrupts.deferred(self.console.say, "switching the masters back"):
                self._kill_jobs()
                restored = self._restore(restored)
        except interrupts.Abandoned:
            self._abandoned(restored, outcome, **details)
            raise
        except KeyboardInterrupt:  # deferred until the masters were back
            if outcome != "interrupted":
                self._undo_after_restore("interrupted", restored, **details)
                raise
        self._undo_after_restore(outcome, restored, **details)

    def _abandoned(self, restored: dict[str, str | None], outcome: str, **details: Any) -> None:
        left = [str(self.env.stores[i].master.address) for i in self.switched
                if str(self.env.stores[i].master.address) not in restored]  # fmt: skip
        self._log(outcome, abandoned="the undo, by a further signal", restored=restored,
                  not_restored=left, applied=self.applied, **details)  # fmt: skip
        self.console.say(
            f"abandoned: masters still on {self.sha[:12]}: {', '.join(left) or 'none'}; "
            f"`saltline rollback {self.env.name}` finishes the undo (`saltline status "
            f"{self.env.name}` shows each master)"
        )

    def _undo_after_restore(
        self, outcome: str, restored: dict[str, str | None], **details: Any
    ) -> None:
        reapplied: dict[str, str] = {}
        if self.applied and any(restored.values()):
            try:
                if outcome == "interrupted":  # out fast: modules and pillar only
                    self.env.sync_back(self.applied)
                else:  # only the minions that ran the release, each synced back first
                    again: list[str] = []
                    self.env.update_masters(tolerant=True)
                    failed = self.env.rollout(self._batch_size(), again, tolerant=True,
                                              only=self.applied)  # fmt: skip
                    reapplied = {m: failed.get(m, "ok") for m in again}
            except SaltlineError as exc:
                reapplied = {m: f"not re-applied: {exc}" for m in self.applied}
        self._log(outcome, applied=self.applied, restored=restored, reapplied=reapplied,
                  **self.left_out, **details)  # fmt: skip
        if not self.switched:
            self.console.say(f"{outcome}: no master had switched; nothing live changed")
            return
        ran = ", ".join(self.applied) or "none"
        self.console.say(
            f"{outcome}: minions that applied {self.sha[:12]}: {ran}; masters back on "
            + ", ".join(f"{a}: {(s or 'no release')[:12]}" for a, s in restored.items())
        )
        if outcome == "interrupted" and self.applied:
            self.console.say(
                f"the minions above ran {self.sha[:12]} (their modules and pillar are synced "
                f"back, their states are not re-applied after an interrupt); `saltline "
                f"rollback {self.env.name}` or a highstate returns them to what the masters serve"
            )

    def _kill_jobs(self) -> None:
        """Stop this promotion's state.apply jobs still running (a batch that timed out,
        or was interrupted) before the masters switch back and anything is re-applied."""
        if not self.applied:
            return
        for salt, minions in self.env.minions(tolerant=True):
            mine = [minion for minion in minions if minion in self.applied]
            try:
                killed = salt.kill_tagged(mine, self.tag)
            except SaltlineError as exc:
                self.console.say(f"warning: could not stop this promotion's jobs: {exc}")
                continue
            for minion, jids in sorted(killed.items()):
                self.console.say(f"{self.env.name}/{minion}: killed job {', '.join(jids)} "
                                 "(saltutil.kill_job)")  # fmt: skip

    def _restore(self, restored: dict[str, str | None]) -> dict[str, str | None]:
        """Every switched master back to what it served; `restored` fills as each is."""
        entry = {"action": "restore", "undoing": self.sha, **audit.who()}
        for index in self.marked:  # a rollout undone no longer counts as reached
            try:
                self.env.stores[index].withdraw(self.sha, entry)
            except SaltlineError as exc:
                self.console.say(f"error: could not withdraw {self.sha[:12]}: {exc}")
        for index in self.switched:
            store: ReleaseStore = self.env.stores[index]
            previous = self.before.get(index)
            try:
                store.restore(previous, entry)
                restored[str(store.master.address)] = previous
            except SaltlineError as exc:
                self.console.say(f"error: could not switch {store.master.address} back: {exc}")
        return restored

    def _finish(self) -> None:
        """Mark the rollout finished on every master; from then on nothing undoes it (a
        failure to mark one master undoes it and withdraws the marks written)."""
        entry = {"action": "promote", **audit.who(), **self.rollout_record, **self.left_out}
        for index, store in enumerate(self.env.stores):
            self.marked.append(index)  # before: an interrupted write may have happened
            store.mark_rolled_out(self.sha, entry)
        # which masters checked the pass themselves: one that stops (its allowed_signers
        # removed, break-glass) shows here, in the next promotion's audit
        self._log("promoted", applied=self.applied, master_verified=self.verified,
                  **self.left_out)  # fmt: skip
        self.console.say(f"promoted {self.sha[:12]} to {self.env.name}")
        for store in self.env.stores:  # housekeeping: a failure here undoes nothing
            try:
                store.prune(self.config.promotion.keep_releases)
            except SaltlineError as exc:
                self.console.say(f"warning: {exc} (old releases stay; the next promotion prunes)")

    def _batch_size(self) -> int:
        return self.options.batch_size or self.config.promotion.batch_size

    def _log(self, outcome: str, **details: Any) -> None:
        self.env.log("promote", self.sha, outcome, **details)


def _describe(prediction: Prediction) -> list[str]:
    if prediction.error:
        return [prediction.error]
    if prediction.untargeted:
        return ["not targeted (the release's top file gives it nothing to apply)"]
    lines = [", ".join(prediction.changes) if prediction.changes else "no changes"]
    lines += [f"would fail: {failure}" for failure in prediction.failures]
    if prediction.after_install:
        lines.append(
            "checked only at apply (its module loads once this highstate installs its "
            "package): " + ", ".join(prediction.after_install)
        )
    return lines


def _changes(predictions: dict[str, Prediction]) -> dict[str, list[str]]:
    return {minion: p.changes for minion, p in predictions.items()}


def _failures(predictions: dict[str, Prediction]) -> dict[str, list[str]]:
    return {m: p.failures + ([p.error] if p.error else []) for m, p in predictions.items()}
