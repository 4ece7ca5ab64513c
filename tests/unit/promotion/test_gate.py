"""The gate: pass records and their verdict, and what was tested against a real git
repository: what was tested is what may ship."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from saltline import config
from saltline.promotion import gate, pass_records

SETTINGS = """\
salt_version: "3007.13"
platforms: {debian12: {suite: bookworm}}
environments: {dev: {test: true}}
minions: {web1: {roles: [web]}, db1: {roles: [db]}}
"""


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(repo), *args], check=True, capture_output=True, text=True
    )
    return done.stdout


@pytest.fixture
def estate(tmp_path: Path) -> Path:
    """A repository holding an estate in `infra/`, as `-c infra/saltline.yml` would use it."""
    repo = tmp_path / "repo"
    root = repo / "infra"
    (root / "salt").mkdir(parents=True)
    (root / "pillar").mkdir()
    (root / "salt" / "top.sls").write_text("base: {'*': [web]}\n")
    (root / "pillar" / "top.sls").write_text("dev: {'*': [common]}\n")
    (root / "saltline.yml").write_text(SETTINGS)
    (repo / ".gitignore").write_text("*.retry\nreports/\n")
    git(repo, "init", "-q")
    git(repo, "config", "user.email", "ops@example.test")
    git(repo, "config", "user.name", "Ops")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "estate")
    return root


def load(root: Path) -> config.Config:
    return config.load(root / "saltline.yml")


def test_shards_recorded_under_one_fingerprint_pass_together(estate, tmp_path):
    cfg = load(estate)
    before, why = gate.snapshot(cfg)
    assert before is not None, why
    assert before.content["salt"] == git(estate, "rev-parse", "HEAD:infra/salt").strip()
    reports = tmp_path / "reports"
    web1, db1 = cfg.targets(["web1"]), cfg.targets(["db1"])
    gate.record(cfg, before, reports, db1, "shard 1/2")
    records = pass_records.read(estate, before.sha, reports, None).records
    assert "untested: dev/web1@debian12/salt3007.13" in gate.verdict(
        records, gate.fingerprint(cfg, before.sha)
    )
    gate.record(cfg, before, reports, web1, "shard 2/2")
    found = pass_records.read(estate, before.sha, reports, None)
    assert found.warnings == []
    assert gate.verdict(found.records, gate.fingerprint(cfg, before.sha)) is None


def test_no_pass_for_a_dirty_tree_or_files_that_would_not_ship(estate):
    cfg = load(estate)
    (estate / "salt" / "web.sls").write_text("untracked: {}\n")
    assert gate.snapshot(cfg) == (None, "the tree is not clean (infra/salt/web.sls)")
    (estate / "salt" / "web.sls").unlink()
    (estate / "salt" / "site.retry").write_text("ignored, so never shipped")
    before, why = gate.snapshot(cfg)
    assert before is None
    assert "would be tested but not shipped" in why and "site.retry" in why


def test_a_run_during_which_the_tree_changed_records_nothing(estate, tmp_path):
    cfg = load(estate)
    before, _ = gate.snapshot(cfg)
    (estate / "salt" / "top.sls").write_text("base: {'*': [db]}\n")
    git(estate, "commit", "-qam", "moved on")
    recorded, why = gate.record(cfg, before, tmp_path / "reports", cfg.targets(), None)
    assert recorded is None
    assert why == "the checkout changed during the run"


def test_a_configuration_change_invalidates_the_pass(estate, tmp_path):
    cfg = load(estate)
    before, _ = gate.snapshot(cfg)
    gate.record(cfg, before, tmp_path / "reports", cfg.targets(), None)
    records = pass_records.read(estate, before.sha, tmp_path / "reports", None).records
    monkeyed = gate.fingerprint(cfg, before.sha)
    assert gate.verdict(records, monkeyed) is None
    changed = pass_records.Fingerprint(**{**monkeyed.__dict__, "config": "other"})
    assert "configuration: tested" in gate.verdict(records, changed)


def test_a_malformed_record_is_a_warning_not_a_crash(estate, tmp_path):
    cfg = load(estate)
    before, _ = gate.snapshot(cfg)
    reports = tmp_path / "reports"
    reports.mkdir()
    (reports / f"pass-{before.sha[:12]}-all.json").write_text('{"sha": "truncated')
    found = pass_records.read(estate, before.sha, reports, None)
    assert found.records == []
    assert len(found.warnings) == 1 and "malformed pass record" in found.warnings[0]


def test_saltlines_own_outputs_never_make_the_tree_dirty(estate):
    cfg = load(estate)
    (estate / "reports").mkdir()
    (estate / "reports" / "junit.xml").write_text("<testsuites/>")  # not ignored here
    (estate / ".saltline" / "fleet-ssh").mkdir(parents=True)
    (estate / ".saltline" / "fleet-ssh" / "config").write_text("Host x\n")
    before, why = gate.snapshot(cfg)
    assert before is not None, why


def test_a_pass_binds_every_root_and_the_lock_file(estate):
    (estate / "vendor").mkdir()
    (estate / "vendor" / "extra.sls").write_text("extra: {}\n")
    (estate / "saltline.yml").write_text(SETTINGS + "roots: {states: [salt, vendor]}\n")
    git(estate, "add", "-A")
    git(estate, "commit", "-qm", "a second root")
    before, why = gate.snapshot(load(estate))
    assert before is not None, why
    assert set(before.content) == {"salt", "vendor", "pillar"}
    assert before.content["vendor"] == git(estate, "rev-parse", "HEAD:infra/vendor").strip()


MATRIX = ["dev/db1@debian12/salt3007.13", "dev/web1@debian12/salt3007.13"]


def fingerprint(**changes) -> pass_records.Fingerprint:
    values = {"sha": "a" * 40, "content": {"salt": "t1", "pillar": "t2"}, "bundle": "d" * 64,
              "config": "c", "salt_version": "3007.13", "matrix": MATRIX, **changes}  # fmt: skip
    return pass_records.Fingerprint(**values)


def record(shard: str | None, targets=None, **changes) -> pass_records.PassRecord:
    tested = MATRIX if targets is None else targets
    return pass_records.PassRecord(fingerprint(**changes), tested, shard, "now")


@pytest.mark.parametrize(
    ("records", "passed"),
    [
        ([record(None)], True),
        (
            [
                record("1/2", ["dev/db1@debian12/salt3007.13"]),
                record("2/2", ["dev/web1@debian12/salt3007.13"]),
            ],
            True,
        ),
        ([record("1/2", ["dev/db1@debian12/salt3007.13"])], False),
        # parts of any split (shards, cells) combine: together they tested every target
        (
            [
                record("1/3", ["dev/db1@debian12/salt3007.13"]),
                record("salt 3007", ["dev/web1@debian12/salt3007.13"]),
            ],
            True,
        ),
        (
            [record("1/3", []), record("2/3", []), record("1/2", ["dev/db1@debian12/salt3007.13"])],
            False,
        ),
        ([], False),
        # shards of different fingerprints never combine
        (
            [
                record("1/2", ["dev/db1@debian12/salt3007.13"]),
                record("2/2", ["dev/web1@debian12/salt3007.13"], config="x"),
            ],
            False,
        ),
        # a "full" run that did not cover the matrix is not a pass
        ([record(None, ["dev/web1@debian12/salt3007.13"])], False),
    ],
)
def test_a_commit_passed_once_parts_of_one_fingerprint_covered_the_matrix(records, passed):
    assert gate.covered(records) is passed


def test_the_verdict_names_what_differs_from_what_was_tested():
    assert gate.verdict([record(None)], fingerprint()) is None
    why = gate.verdict([record(None, salt_version="3006.25")], fingerprint())
    assert "Salt version: tested 3006.25, now 3007.13" in why
    why = gate.verdict([record(None, content={"salt": "old", "pillar": "t2"})], fingerprint())
    assert "content (git trees of salt/, pillar/)" in why
    assert "has no recorded pass" in gate.verdict([], fingerprint())
    why = gate.verdict([record("1/2", ["dev/db1@debian12/salt3007.13"])], fingerprint())
    assert "untested: dev/web1@debian12/salt3007.13" in why


def tampered(**changes) -> str:
    """A record's line with fields of its statement's saltline predicate changed."""
    document = json.loads(record(None).to_json())
    document["statement"]["predicate"]["saltline"].update(changes)
    return json.dumps(document)


@pytest.mark.parametrize(
    "text",
    ["not json", "[1, 2]", '{"sha": "a"}', '{"statement": {"sha": 1}}',
     tampered(shard=3), tampered(matrix="everything"), tampered(colour="blue")],
)  # fmt: skip
def test_malformed_pass_records_are_rejected(text):
    assert pass_records.parse_record(text) is None


def test_a_record_round_trips_through_json():
    assert pass_records.parse_record(record("1/2").to_json()) == record("1/2")
