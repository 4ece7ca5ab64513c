"""Which targets `--changed` converges, and why each.

The rendered impact decides wherever rendering can see the change: a target whose
view renders as before is not converged. File attribution (`selection`) decides what
rendering cannot see (custom modules, the lock file, tests) and a platform whose
definition changed (its image), and everything when there is no impact (`--no-impact`,
or a base that does not render).
"""

from __future__ import annotations

from saltline.config import Config, Target
from saltline.pipeline import impact_report, selection
from saltline.pipeline.impact import Impact


def selected(
    config: Config,
    targets: list[Target],
    changed: list[str],
    used: dict[str, selection.Used],
    impact: Impact | None,
) -> dict[str, str]:
    """Target key → why the change selects it. The rendered impact decides where it
    can see; file attribution (`selection`) decides what it cannot see (custom modules,
    the lock file, tests, a platform's image), and everything when there is no impact."""
    rules = selection.rules_for(config)
    keys = {target.key for target in targets}
    facts = {key: facts for key, facts in used.items() if key in keys}
    roles = {target.key: target.minion.roles for target in targets}
    if impact is None or impact.unavailable:
        found = selection.affected(changed, facts, roles, rules)
        return {key: f"{path} changed (file attribution)" for key, path in found.items()}
    unseen = {
        path: what for path in changed if (what := selection.unseen_by_rendering(path, rules))
    }
    because = {
        key: f"{path} changed ({unseen[path]}: rendering cannot see it)"
        for key, path in selection.affected(list(unseen), facts, roles, rules).items()
    }
    for target in targets:
        if target.platform.name in impact.platforms_changed:
            because.setdefault(target.key, f"platform {target.platform.name} changed (its image)")
        if target.key in impact.unseen:
            found = selection.affected(
                changed, {target.key: facts.get(target.key, selection.Used())}, roles, rules
            )
            if found:
                because.setdefault(
                    target.key, f"{found[target.key]} changed (file attribution: no impact read)"
                )
        elif target.key in impact.changed:
            because.setdefault(
                target.key, f"rendered impact: {impact_report.counts(impact.changed[target.key])}"
            )
    return because
