"""Console output: one line per minion and stage as it happens, a table at the end."""

from __future__ import annotations

import sys
import threading
from typing import TextIO

from saltline.pipeline.results import RunResult, StageResult

_WORD = {"passed": "PASS", "failed": "FAIL", "error": "ERROR", "skipped": "skip"}


class Console:
    """Thread-safe progress lines: workers for several minions print through one lock."""

    def __init__(self, stream: TextIO = sys.stdout):
        self.stream = stream
        self._lock = threading.Lock()

    def say(self, text: str) -> None:
        with self._lock:
            print(text, file=self.stream, flush=True)

    def stage(self, key: str, stage: str, result: StageResult | None) -> None:
        if result is None:
            self.say(f"[{key}] {stage} …")
            return
        line = f"[{key}] {stage} {_WORD[result.status]} ({result.duration:.1f}s)"
        if result.status != "passed" and result.message:
            indented = "\n".join("    " + part for part in result.message.strip().splitlines())
            line += "\n" + indented
        self.say(line)

    def table(self, result: RunResult) -> None:
        self.say(render_table(result))


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
    lines.append(f"\n{verdict}: {scope}in {result.duration:.1f}s")
    return "\n".join(lines)
