from __future__ import annotations

import json
import xml.etree.ElementTree as ET

from saltline.pipeline import report
from saltline.pipeline.results import Case, RunResult, StageResult, TargetResult


def sample_run() -> RunResult:
    good = TargetResult(
        "web1",
        "debian12",
        "dev",
        ["web"],
        "3007.13",
        [
            StageResult(
                "converge", "passed", 5.0, cases=[Case("nginx: pkg", "web1@debian12.converge", 4.2)]
            ),
            StageResult(
                "idempotence",
                "passed",
                1.0,
                cases=[Case("nginx: pkg", "web1@debian12.idempotence", 0.1)],
            ),
            StageResult(
                "verify",
                "passed",
                2.0,
                cases=[Case("test_web::test_up", "web1@debian12.verify", 0.5)],
            ),
        ],
    )
    bad = TargetResult(
        "db1",
        "debian12",
        "prod",
        ["db"],
        "3007.13",
        [
            StageResult(
                "converge",
                "failed",
                3.0,
                "state 'pg' failed: no such package",
                cases=[Case("db: pg", "db1@debian12.converge", 2.0, failure="state 'pg' failed")],
            ),
            StageResult("idempotence", "skipped", message="needs converge to pass"),
            StageResult("verify", "skipped", message="needs converge to pass"),
        ],
    )
    return RunResult("abcd1234", ["3007.13"], targets=[good, bad], duration=12.0)


def test_junit_has_a_suite_per_target_and_a_case_per_state_and_check():
    root = ET.fromstring(report.junit_xml(sample_run()))
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == [
        "dev/web1@debian12/salt3007.13",
        "prod/db1@debian12/salt3007.13",
    ]
    assert suites[0].get("tests") == "3" and suites[0].get("failures") == "0"
    assert suites[1].get("tests") == "3"
    assert suites[1].get("failures") == "1" and suites[1].get("skipped") == "2"
    failure = suites[1].find("testcase/failure")
    assert failure is not None and failure.get("message") == "state 'pg' failed"


def test_summary_is_a_table_with_what_failed_and_the_slowest_states():
    text = report.summary_markdown(sample_run())
    assert text.startswith("## saltline: ❌ failed")
    assert "| dev/web1@debian12/salt3007.13 | ✅ 5.0s | ✅ 1.0s | ✅ 2.0s |" in text
    assert "**prod/db1@debian12/salt3007.13 · converge**" in text
    assert "state 'pg' failed: no such package" in text
    assert text.index("nginx: pkg") < text.index("db: pg")  # slowest first


def test_write_produces_all_three_files_and_no_partials(tmp_path):
    written = report.write(sample_run(), tmp_path / "reports")
    assert sorted(p.name for p in written) == ["junit.xml", "results.json", "summary.md"]
    data = json.loads((tmp_path / "reports" / "results.json").read_text())
    assert data["passed"] is False
    assert data["targets"][1]["stages"][0]["status"] == "failed"
    assert not list((tmp_path / "reports").glob("*.partial"))
