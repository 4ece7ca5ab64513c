"""The impact as a reviewer reads it: a table and a collapsible block per target in
`summary.md`, each target's whole impact in `reports/impact/`, and lines for a terminal.
"""

from __future__ import annotations

from pathlib import Path

from saltline.pipeline.impact import Impact, StateChange, TargetImpact

SUMMARY_LINES = 60  # of one target's block in summary.md; the rest is in reports/impact/


def file_name(key: str) -> str:
    """`prod/web1@debian12/3007.13` → `prod_web1@debian12_3007.13.md`."""
    return key.replace("/", "_") + ".md"


def target_text(key: str, impact: TargetImpact) -> list[str]:
    """One target's whole impact, as Markdown."""
    lines = [f"#### {key}", ""] + ([f"_{impact.note}_", ""] if impact.note else [])
    for title, changes in (
        ("States added", impact.states_added),
        ("States removed", impact.states_removed),
        ("States changed", impact.states_changed),
    ):
        if changes:
            lines += [f"**{title}**", ""] + [line for c in changes for line in _state(c)] + [""]
    if impact.files:
        lines += ["**Files (rendered for this minion)**", ""]
        for path, diff in impact.files.items():
            lines += [f"`{path}`", "", "```diff", *diff.rstrip("\n").splitlines(), "```", ""]
    if impact.pillar:
        lines += ["**Pillar keys**", ""] + [f"- {line}" for line in impact.pillar] + [""]
    return lines


def _state(change: StateChange) -> list[str]:
    head = f"- `{change.id}` ({change.function}, {change.where or change.sls})"
    return [head] + [f"  - {line}" for line in change.arguments]


def counts(impact: TargetImpact) -> str:
    """`3 states, 1 file, 2 pillar keys`."""
    parts = [
        _count(impact.states, "state"),
        _count(len(impact.files), "file"),
        _count(len(impact.pillar), "pillar key"),
    ]
    return ", ".join(parts) + (f" ({impact.note})" if impact.note else "")


def _count(number: int, what: str) -> str:
    return f"{number} {what}{'' if number == 1 else 's'}"


def summary_section(impact: Impact, reports_dir: Path) -> list[str]:
    """The "Impact" section of summary.md."""
    lines = ["", f"### Impact since {impact.base[:12]}: what this change does to each target", ""]
    if impact.unavailable:
        return [*lines, f"No impact: {impact.unavailable}."]
    changed = impact.changed
    if not changed:
        lines.append(f"None: the {len(impact.targets)} rendered targets render as before.")
    else:
        lines += ["| target | states | files | pillar keys |", "|---|---|---|---|"]
        lines += [
            f"| {key} | {_states(i)} | {len(i.files)} | {len(i.pillar)} |"
            for key, i in changed.items()
        ]
        lines.append("")
        for key, target in changed.items():
            text = target_text(key, target)[2:]  # its title is the <summary>
            cut = text[:SUMMARY_LINES]
            if len(text) > SUMMARY_LINES:
                where = reports_dir.name + "/impact/" + file_name(key)
                cut += ["", f"_… {len(text) - SUMMARY_LINES} more lines in {where}_"]
            lines += [f"<details><summary>{key}: {counts(target)}</summary>", "", *cut, "",
                      "</details>", ""]  # fmt: skip
    lines += [f"- {key}: no impact read: {why}" for key, why in sorted(impact.unseen.items())]
    return lines


def _states(impact: TargetImpact) -> str:
    parts = [
        f"{len(changes)} {verb}"
        for changes, verb in (
            (impact.states_added, "added"),
            (impact.states_removed, "removed"),
            (impact.states_changed, "changed"),
        )
        if changes
    ]
    return ", ".join(parts) or "0"


def write(impact: Impact, reports_dir: Path) -> None:
    """Each changed target's whole impact in `reports/impact/`, replacing the last run's."""
    directory = reports_dir / "impact"
    directory.mkdir(parents=True, exist_ok=True)
    for old in directory.glob("*.md"):
        old.unlink()
    for key, target in impact.changed.items():
        (directory / file_name(key)).write_text("\n".join(target_text(key, target)) + "\n")


def headline(impact: Impact) -> str:
    if impact.unavailable:
        return f"impact: none: {impact.unavailable}"
    return (f"impact since {impact.base[:12]}: {len(impact.changed)} of "
            f"{len(impact.targets)} rendered targets change")  # fmt: skip


def console_lines(impact: Impact) -> list[str]:
    """What a terminal shows: the headline, then each changed target's impact."""
    lines = [headline(impact)]
    if impact.unavailable:
        return lines
    for key, target in impact.changed.items():
        lines += ["", *target_text(key, target)]
    lines += [f"{key}: no impact read: {why}" for key, why in sorted(impact.unseen.items())]
    return lines
