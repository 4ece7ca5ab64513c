"""What tests saw of Salt's prediction, beside a promotion's dry run.

A pass recorded by converges that checked Salt's prediction (`saltline test
--check-prediction`) says, per minion, which state IDs test=True predicted rightly
(`held`), which it predicted and did not change, and which changed unpredicted. The
dry run's prediction for the same minion is read against that: each predicted change
held in tests, did not, or was not seen there; and a state that tests saw change
unpredicted, which the dry run does not list, may change all the same.
"""

from __future__ import annotations

from typing import Any

from saltline.promotion.pass_records import PassRecord

KINDS = ("held", "predicted_unchanged", "unpredicted")


def from_passes(passes: list[PassRecord]) -> dict[str, dict[str, set[str]]] | None:
    """By minion, what the passes that count say (None: none checked the prediction)."""
    checked = [record.predictions for record in passes if record.predictions is not None]
    if not checked:
        return None
    merged: dict[str, dict[str, set[str]]] = {}
    for predictions in checked:
        for minion, kinds in predictions.items():
            mine = merged.setdefault(minion, {kind: set() for kind in KINDS})
            for kind in KINDS:
                mine[kind].update(kinds.get(kind, []))
    return merged


def per_state(changes: list[str], tested: dict[str, set[str]]) -> dict[str, str]:
    """Each predicted change (a state ID) as tests saw Salt's prediction for it."""
    said = {}
    for state_id in changes:
        if state_id in tested["predicted_unchanged"]:
            said[state_id] = "predicted, did not change in tests"
        elif state_id in tested["held"] or state_id in tested["unpredicted"]:
            said[state_id] = "held in tests"
        else:
            said[state_id] = "not seen in tests"
    return said


def lines(changes: list[str], tested: dict[str, set[str]] | None) -> list[str]:
    """The dry run's lines for one minion (none when tests did not check it)."""
    if tested is None:
        return []
    said = per_state(changes, tested)
    held = [state for state, how in said.items() if how == "held in tests"]
    shown = [f"Salt's prediction held in tests for {len(held)} of {len(changes)} predicted "
             "changes"]  # fmt: skip
    for how in ("predicted, did not change in tests", "not seen in tests"):
        states = [state for state, said_of in said.items() if said_of == how]
        if states:
            shown[0] += f"; {how}: {', '.join(states)}"
    missed = sorted(tested["unpredicted"] - set(changes))
    if missed:
        shown.append("may change although not predicted (test=True missed them in tests): "
                     + ", ".join(missed))  # fmt: skip
    return shown


def report(changes: list[str], tested: dict[str, set[str]] | None) -> dict[str, Any] | None:
    """For the dry run's JSON report."""
    if tested is None:
        return None
    return {
        "predicted": per_state(changes, tested),
        "unpredicted_in_tests": sorted(tested["unpredicted"] - set(changes)),
    }
