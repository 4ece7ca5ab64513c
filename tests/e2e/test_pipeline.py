"""`saltline test` end to end: the reference estate, and the fixture estate's failures."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from tests.e2e.conftest import ESTATE, REPO, leftovers, saltline


def test_the_reference_estate_passes_and_leaves_nothing_behind(engine, tmp_path):
    run = saltline("test", estate=REPO, reports=tmp_path)
    assert run.exit_code == 0, run.output
    assert run.stage("dev/web1@debian12", "converge")["status"] == "passed"
    assert run.stage("dev/web1@debian12", "idempotence")["status"] == "passed"
    verify = run.stage("dev/web1@debian12", "verify")
    assert verify["status"] == "passed"
    assert "test_web::test_page_shows_the_pillar_message" in {c["name"] for c in verify["cases"]}
    suites = {
        s.get("name"): s for s in ET.parse(tmp_path / "junit.xml").getroot().iter("testsuite")
    }
    assert set(suites) == {"estate", "dev/web1@debian12"}
    assert {s.get("failures") for s in suites.values()} == {"0"}
    assert [s["stage"] for s in run.results["estate"]] == ["lint", "render"]
    assert "## saltline: ✅ passed" in (tmp_path / "summary.md").read_text()
    # the final table: the estate's stages, then the minion's
    assert re.search(r"^estate\s+PASS\s+[\d.]+s\s+PASS\s+[\d.]+s\s+-", run.output, re.M)
    assert re.search(r"^dev/web1@debian12\s+-\s+-\s+PASS.*PASS.*PASS", run.output, re.M)
    assert leftovers(engine, run.results["run_id"]) == []


@pytest.fixture(scope="module")
def mixed_run(tmp_path_factory):
    """One run of three minions in parallel: one good, one failing, one not idempotent."""
    return saltline(
        "test",
        "good1",
        "broken1",
        "flappy1",
        estate=ESTATE,
        reports=tmp_path_factory.mktemp("reports"),
    )


def test_a_failing_state_fails_the_run(mixed_run):
    assert mixed_run.exit_code == 1
    converge = mixed_run.stage("dev/broken1@debian12", "converge")
    assert converge["status"] == "failed"
    message = converge["message"]
    assert "'broken-migrate-cmd-run' (cmd.run) in SLS roles.broken failed" in message
    assert "[dev/broken1@debian12] converge FAIL" in mixed_run.output
    assert "'broken-migrate-cmd-run' (cmd.run) in SLS roles.broken failed" in mixed_run.output
    assert mixed_run.stage("dev/broken1@debian12", "idempotence")["status"] == "skipped"


def test_a_non_idempotent_state_is_named(mixed_run):
    idempotence = mixed_run.stage("dev/flappy1@debian12", "idempotence")
    assert idempotence["status"] == "failed"
    first_line = idempotence["message"].splitlines()[0]
    assert first_line == "not idempotent: flappy-stamp-cmd-run, flappy-stamp-file-managed"
    assert mixed_run.stage("dev/flappy1@debian12", "verify")["status"] == "passed"


def test_a_good_minion_passes_beside_failing_ones(mixed_run):
    assert mixed_run.target("dev/good1@debian12")["stages"][-1] == {
        **mixed_run.stage("dev/good1@debian12", "verify"),
        "status": "passed",
    }
    assert all(s["status"] == "passed" for s in mixed_run.target("dev/good1@debian12")["stages"])


def test_reports_from_parallel_minions_are_whole(mixed_run):
    root = ET.parse(mixed_run.reports / "junit.xml").getroot()
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    assert set(suites) == {
        "estate",
        "dev/good1@debian12",
        "dev/broken1@debian12",
        "dev/flappy1@debian12",
    }
    failures = [
        c.get("name")
        for c in suites["dev/broken1@debian12"].iter("testcase")
        if c.find("failure") is not None
    ]
    assert failures == ["roles.broken: broken-migrate-cmd-run (cmd.run)"]


def test_nothing_is_left_behind_after_failures(engine, mixed_run):
    assert leftovers(engine, mixed_run.results["run_id"]) == []
