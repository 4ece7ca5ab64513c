"""What a test run prints: a line per target and stage as it happens, a table at the end."""

from __future__ import annotations

from saltline.pipeline.results import RunResult, StageResult

_WORD = {"passed": "PASS", "failed": "FAIL", "error": "ERROR", "skipped": "skip"}


def stage_line(key: str, stage: str, result: StageResult | None) -> str:
    """`[dev/web1@debian12] converge PASS (12.3s)`, with the message indented below a failure."""
    if result is None:
        return f"[{key}] {stage} …"
    line = f"[{key}] {stage} {_WORD[result.status]} ({result.duration:.1f}s)"
    if result.status != "passed" and result.message:
        indented = "\n".join("    " + part for part in result.message.strip().splitlines())
        line += "\n" + indented
    return line


def render_table(result: RunResult) -> str:
    """Minion × stage: status and time, then the verdict."""
    stage_names = result.stage_names()
    header = ["minion", *stage_names]
    rows = [header]
    for label, stages in result.rows():
        by_name = {stage.stage: stage for stage in stages}
        row = [label]
        for name in stage_names:
            stage = by_name.get(name)
            row.append("-" if stage is None else f"{_WORD[stage.status]} {stage.duration:5.1f}s")
        rows.append(row)
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        for row in rows
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    verdict = "PASSED" if result.passed else "FAILED"
    scope = f"{len(result.targets)} minion(s) " if result.targets else ""
    lines += [f"not run  {key}: {why}" for key, why in sorted(result.not_run.items())]
    lines.append(f"\n{verdict}: {scope}in {result.duration:.1f}s")
    return "\n".join(lines)
