"""The report stage: `junit.xml`, `summary.md` and `results.json` under `reports/`.

Written once, by one writer, after every target has finished; each file is written
to a temporary name and renamed, so a reader never sees half a report.
"""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET
from pathlib import Path

from saltline.pipeline import impact_report
from saltline.pipeline.results import RunResult

SLOWEST_STATES = 10


def write(result: RunResult, reports_dir: Path) -> list[Path]:
    reports_dir.mkdir(parents=True, exist_ok=True)
    if result.impact is not None:
        impact_report.write(result.impact, reports_dir)
    outputs = {
        "junit.xml": junit_xml(result),
        "summary.md": summary_markdown(result, reports_dir),
        "results.json": json.dumps(result.to_dict(), indent=2) + "\n",
    }
    written = []
    for name, text in outputs.items():
        path = reports_dir / name
        partial = path.with_suffix(path.suffix + ".partial")
        partial.write_text(text, encoding="utf-8")
        os.replace(partial, path)
        written.append(path)
    return written


def junit_xml(result: RunResult) -> str:
    """One <testsuite> per target (environment, minion, platform, Salt version); one
    <testcase> per state and per testinfra check."""
    suites = ET.Element("testsuites", name="saltline", time=f"{result.duration:.3f}")
    for label, stages in result.rows():
        suite = ET.SubElement(suites, "testsuite", name=label)
        counts = {"tests": 0, "failures": 0, "skipped": 0}
        for stage in stages:
            cases = stage.cases or []
            if not cases and stage.status != "passed":
                _stage_case(suite, label, stage.stage, stage.status, stage.message)
                counts["tests"] += 1
                counts["failures" if stage.status in ("failed", "error") else "skipped"] += 1
            for case in cases:
                element = ET.SubElement(
                    suite,
                    "testcase",
                    name=case.name,
                    classname=case.classname,
                    time=f"{case.duration:.3f}",
                )
                counts["tests"] += 1
                if case.failure is not None:
                    ET.SubElement(
                        element, "failure", message=case.failure.splitlines()[0][:200]
                    ).text = case.failure
                    counts["failures"] += 1
                elif case.skipped is not None:
                    ET.SubElement(element, "skipped", message=case.skipped)
                    counts["skipped"] += 1
        suite.set("time", f"{sum(stage.duration for stage in stages):.3f}")
        for key, value in counts.items():
            suite.set(key, str(value))
    ET.indent(suites)
    return ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"


def _stage_case(suite: ET.Element, label: str, stage: str, status: str, message: str) -> None:
    element = ET.SubElement(suite, "testcase", name=stage, classname=f"{label}.{stage}", time="0")
    tag = "failure" if status in ("failed", "error") else "skipped"
    ET.SubElement(element, tag, message=(message.splitlines() or [status])[0][:200]).text = message


def summary_markdown(result: RunResult, reports_dir: Path = Path("reports")) -> str:
    """The merge-request comment: verdict, minion × stage table, failures, slowest states."""
    verdict = "✅ passed" if result.passed else "❌ failed"
    stage_names = result.stage_names()
    lines = [
        f"## saltline: {verdict}",
        "",
        f"Salt {', '.join(result.salt_versions)} · {len(result.targets)} targets · "
        f"{result.duration:.0f}s · run `{result.run_id}`",
        "",
        "| environment/minion@platform/salt | " + " | ".join(stage_names) + " |",
        "|---|" + "---|" * len(stage_names),
    ]
    for label, stages in result.rows():
        by_name = {stage.stage: stage for stage in stages}
        cells = []
        for name in stage_names:
            stage = by_name.get(name)
            cells.append("–" if stage is None else f"{_ICON[stage.status]} {stage.duration:.1f}s")
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    if result.not_run:
        lines += [
            "",
            "### Not run: not affected by the change (`--changed`; a skip is not a pass)",
            "",
        ]
        lines += [f"- {key}: {why}" for key, why in sorted(result.not_run.items())]
    if result.selected:
        lines += ["", "### Run: why each target was selected (`--changed`)", ""]
        lines += [f"- {key}: {why}" for key, why in sorted(result.selected.items())]
    if result.impact is not None:
        lines += impact_report.summary_section(result.impact, reports_dir)
    lines += _containers(result)
    lines += _predictions(result)
    failures = [
        (label, stage)
        for label, stages in result.rows()
        for stage in stages
        if stage.status in ("failed", "error")
    ]
    if failures:
        lines += ["", "### What failed", ""]
        for label, stage in failures:
            lines += [f"**{label} · {stage.stage}**", "", "```", stage.message.strip(), "```", ""]
    slowest = sorted(
        (
            (case.duration, target.key, case.name)
            for target in result.targets
            for stage in target.stages
            if stage.stage == "converge"
            for case in stage.cases
        ),
        reverse=True,
    )[:SLOWEST_STATES]
    if slowest:
        lines += [
            "",
            "### Slowest states (converge)",
            "",
            "| state | minion | time |",
            "|---|---|---|",
        ]
        lines += [f"| {name} | {key} | {seconds:.1f}s |" for seconds, key, name in slowest]
    return "\n".join(lines).rstrip() + "\n"


def _containers(result: RunResult) -> list[str]:
    """What the targets' containers were given, and what was not applied in them."""
    lines: list[str] = []
    for target in result.targets:
        converge = next((s for s in target.stages if s.stage == "converge"), None)
        excluded = converge.details.get("excluded", []) if converge else []
        if not target.container and not excluded:
            continue
        parts = [f"{name}: {json.dumps(value)}" for name, value in target.container.items()]
        parts += [
            f"excluded {kind} {item[kind]} ({item['reason']})"
            for item in excluded
            for kind in ("id", "sls")
            if kind in item
        ]
        lines.append(f"- {target.key}: " + "; ".join(parts))
    return ["", "### Containers: options given, states excluded", "", *lines] if lines else []


def _predictions(result: RunResult) -> list[str]:
    """Where Salt's test=True prediction did not hold (`tests.prediction`)."""
    lines: list[str] = []
    for target in result.targets:
        converge = next((s for s in target.stages if s.stage == "converge"), None)
        checked = converge.details.get("prediction") if converge else None
        if not checked:
            continue
        lines += [f"- {target.key}: changed, not predicted: {label}"
                  for label in checked["unpredicted"]]  # fmt: skip
        lines += [f"- {target.key}: predicted, did not change: {label}"
                  for label in checked["predicted_unchanged"]]  # fmt: skip
    title = "### Salt's prediction (test=True) that did not hold in the converge"
    return ["", title, "", *lines] if lines else []


_ICON = {"passed": "✅", "failed": "❌", "error": "💥", "skipped": "⏭"}
