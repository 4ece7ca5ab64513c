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
    {'unpredicted': ['cascade: b (cmd.run)'], 'predicted_unchanged': []}
"""

from __future__ import annotations

from saltline.salt_results import ApplyRun, StateResult


def predicts_change(state: StateResult) -> bool:
    """In a `test=True` run: Salt says the state would change something."""
    return state.result is None or state.changed


def check(predicted: ApplyRun, applied: ApplyRun) -> dict[str, list[str]]:
    """States that changed without Salt predicting it, and states predicted to change
    that did not (by label: SLS, ID, function)."""
    would = {state.label for state in predicted.states if predicts_change(state)}
    did = {state.label for state in applied.states if state.changed}
    return {
        "unpredicted": sorted(did - would),
        "predicted_unchanged": sorted(would - did),
    }
