"""Salt's prediction checked: the highstate with `test=True`, then applied, compared state by
state. `test=True` is known to miss changes (a requisite of `onchanges`/`watch` whose
test run reports no changes, an `onlyif` that an earlier state would have made true),
and to predict changes that do not happen; a reviewer and a promotion's dry run should
know which states of the estate it cannot be trusted for.

    >>> from saltline.salt_results import StateResult
    >>> def state(sid, result, changes):
    ...     return StateResult(sid, "cmd.run", sid, "cascade", result, changes, "", 0.0, 0)
    >>> predicted = ApplyRun([state("a", None, {}), state("b", True, {})])
    >>> applied = ApplyRun([state("a", True, {"pid": 1}), state("b", True, {"pid": 2})])
    >>> check(predicted, applied)
    {'unpredicted': ['b'], 'predicted_unchanged': [], 'held': ['a']}
"""

from __future__ import annotations

from saltline.salt_results import ApplyRun, StateResult


def predicts_change(state: StateResult) -> bool:
    """In a `test=True` run: Salt says the state would change something."""
    return state.result is None or state.changed


def check(predicted: ApplyRun, applied: ApplyRun) -> dict[str, list[str]]:
    """State IDs that changed without Salt predicting it, predicted to change and did
    not, and predicted to change and did (`held`)."""
    would = {state.state_id for state in predicted.states if predicts_change(state)}
    did = {state.state_id for state in applied.states if state.changed}
    return {
        "unpredicted": sorted(did - would),
        "predicted_unchanged": sorted(would - did),
        "held": sorted(would & did),
    }


def by_minion(checks: list[tuple[str, dict[str, list[str]]]]) -> dict[str, dict[str, list[str]]]:
    """Each minion's checks (from every environment and cell it was tested in) as one:
    what did not hold anywhere did not hold."""
    merged: dict[str, dict[str, set[str]]] = {}
    for minion, checked in checks:
        mine = merged.setdefault(minion, {})
        for kind, ids in checked.items():
            mine.setdefault(kind, set()).update(ids)
    for mine in merged.values():
        mine["held"] = (
            mine.get("held", set())
            - mine.get("unpredicted", set())
            - mine.get("predicted_unchanged", set())
        )
    return {m: {kind: sorted(ids) for kind, ids in c.items()} for m, c in sorted(merged.items())}
