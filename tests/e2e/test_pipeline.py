"""`saltline test` end to end: the reference estate, and the fixture estate's failures."""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
import xml.etree.ElementTree as ET

import pytest

from tests.e2e.conftest import ESTATE, REPO, leftovers, saltline

CELL = "debian12/salt3007.13"
TARGETS = [f"{env}/{minion}@{CELL}" for env in ("dev", "staging") for minion in ("web1", "db1")]


@pytest.fixture(scope="module")
def reference_run(tmp_path_factory):
    """The reference estate's whole pipeline in its default cell: web1 and db1 in dev and
    in staging (tests/e2e/test_matrix.py: another cell)."""
    reports = tmp_path_factory.mktemp("reports")
    return saltline("test", "--default-cell", estate=REPO, reports=reports)


def test_the_reference_estate_passes_and_leaves_nothing_behind(engine, reference_run):
    run = reference_run
    assert run.exit_code == 0, run.output
    for target in TARGETS:
        for stage in ("converge", "idempotence", "verify"):
            assert run.stage(target, stage)["status"] == "passed", (target, stage)
    suites = {
        s.get("name"): s for s in ET.parse(run.reports / "junit.xml").getroot().iter("testsuite")
    }
    assert set(suites) == {"estate", *TARGETS}
    assert {s.get("failures") for s in suites.values()} == {"0"}
    assert [s["stage"] for s in run.results["estate"]] == ["lint", "render"]
    assert "## saltline: ✅ passed" in (run.reports / "summary.md").read_text()
    # the final table: the estate's stages, then each minion's
    assert re.search(r"^estate\s+PASS\s+[\d.]+s\s+PASS\s+[\d.]+s\s+-", run.output, re.M)
    assert re.search(
        r"^staging/db1@debian12/salt3007.13\s+-\s+-\s+PASS.*PASS.*PASS", run.output, re.M
    )
    assert leftovers(engine, run.results["run_id"]) == []


@pytest.mark.parametrize("environment", ["dev", "staging"])
def test_checks_across_minions_ran_on_the_run_network(reference_run, environment):
    checks = {
        case["name"]: case
        for case in reference_run.stage(f"{environment}/db1@debian12/salt3007.13", "verify")[
            "cases"
        ]
    }
    for name in (
        "test_db::test_web_minions_authenticate_as_the_pillar_user",
        "test_db::test_a_minion_not_in_pg_hba_is_refused",
        "test_common::test_node_exporter_answers_on_its_port_here_and_over_the_network",
    ):
        assert checks[name]["failure"] is None and checks[name]["skipped"] is None, name


def test_no_plaintext_secret_reaches_reports_or_output(reference_run):
    plaintexts = decrypted_pillar_secrets()
    assert len(plaintexts) == 6  # a database password and a TLS key per environment
    # The secrets did reach the minions: TLS and database logins were checked with them.
    assert reference_run.stage("dev/web1@debian12/salt3007.13", "verify")["status"] == "passed"
    written = [reference_run.output] + [
        path.read_text(errors="replace")
        for path in sorted(reference_run.reports.rglob("*"))
        if path.is_file()
    ]
    written += [path.read_text() for path in sorted((REPO / "tests" / "golden").rglob("*.yaml"))]
    # A key's lines that also appear in public pillar data (its certificate holds the
    # same modulus) or are PEM armor are not secret.
    public = {line.strip() for path in (REPO / "pillar").rglob("*.sls") for line in path.open()}
    secret_lines = {
        line.strip()
        for secret in plaintexts
        for line in secret.splitlines()
        if line.strip() and "-----" not in line and line.strip() not in public
    }
    assert len(secret_lines) > 6 * 3
    for line in secret_lines:
        assert not any(line in text for text in written), "a secret leaked"


def decrypted_pillar_secrets() -> list[str]:
    """Every GPG-encrypted value in pillar/, decrypted on the host with the test key and
    the fleet's prod master key (prod's secrets open with that one only)."""
    blocks = re.findall(
        r"-----BEGIN PGP MESSAGE-----.*?-----END PGP MESSAGE-----",
        "\n".join(
            "\n".join(line.strip() for line in path.read_text().splitlines())
            for path in sorted((REPO / "pillar").rglob("*.sls"))
        ),
        re.S,
    )
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "GNUPGHOME": home}
        for key in ("saltline-test.private.asc", "prod-master.private.asc"):
            path = REPO / "tests" / "secrets" / key
            subprocess.run(
                ["gpg", "--batch", "--quiet", "--import", str(path)], env=env, check=True
            )
        try:
            return [
                subprocess.run(
                    ["gpg", "--batch", "--quiet", "--decrypt"],
                    input=block, env=env, capture_output=True, text=True, check=True,
                ).stdout
                for block in blocks
            ]  # fmt: skip
        finally:
            subprocess.run(["gpgconf", "--kill", "gpg-agent"], env=env, check=False)


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
    converge = mixed_run.stage("dev/broken1@debian12/salt3007.13", "converge")
    assert converge["status"] == "failed"
    message = converge["message"]
    assert "'broken-migrate-cmd-run' (cmd.run) in SLS roles.broken failed" in message
    assert "[dev/broken1@debian12/salt3007.13] converge FAIL" in mixed_run.output
    assert "'broken-migrate-cmd-run' (cmd.run) in SLS roles.broken failed" in mixed_run.output
    assert mixed_run.stage("dev/broken1@debian12/salt3007.13", "idempotence")["status"] == "skipped"


def test_a_non_idempotent_state_is_named(mixed_run):
    idempotence = mixed_run.stage("dev/flappy1@debian12/salt3007.13", "idempotence")
    assert idempotence["status"] == "failed"
    first_line = idempotence["message"].splitlines()[0]
    assert first_line == "not idempotent: flappy-stamp-cmd-run, flappy-stamp-file-managed"
    assert mixed_run.stage("dev/flappy1@debian12/salt3007.13", "verify")["status"] == "passed"


def test_a_good_minion_passes_beside_failing_ones(mixed_run):
    assert mixed_run.target("dev/good1@debian12/salt3007.13")["stages"][-1] == {
        **mixed_run.stage("dev/good1@debian12/salt3007.13", "verify"),
        "status": "passed",
    }
    assert all(
        s["status"] == "passed"
        for s in mixed_run.target("dev/good1@debian12/salt3007.13")["stages"]
    )


def test_reports_from_parallel_minions_are_whole(mixed_run):
    root = ET.parse(mixed_run.reports / "junit.xml").getroot()
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    assert set(suites) == {
        "estate",
        "dev/good1@debian12/salt3007.13",
        "dev/broken1@debian12/salt3007.13",
        "dev/flappy1@debian12/salt3007.13",
    }
    failures = [
        c.get("name")
        for c in suites["dev/broken1@debian12/salt3007.13"].iter("testcase")
        if c.find("failure") is not None
    ]
    assert failures == ["roles.broken: broken-migrate-cmd-run (cmd.run)"]


def test_nothing_is_left_behind_after_failures(engine, mixed_run):
    assert leftovers(engine, mixed_run.results["run_id"]) == []
