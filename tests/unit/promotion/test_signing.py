"""Signed passes and rollout records, with the real ssh-keygen: what counts, and why the
rest does not (a hand-written record, another key, a signature of other content)."""

from __future__ import annotations

import dataclasses
import json
import subprocess
from pathlib import Path

import pytest

from saltline import config
from saltline.errors import SaltlineError
from saltline.promotion import gate, pass_records, signing
from tests.unit.promotion.test_gate import SETTINGS, git

SECRETS = Path(__file__).resolve().parents[2] / "secrets"
KEY, ALLOWED = SECRETS / "saltline-test-signing", SECRETS / "allowed_signers"
SHA, DIGEST = "a" * 40, "d" * 64


def other_key(tmp_path: Path) -> Path:
    key = tmp_path / "intruder"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    return key


def test_a_statement_signed_by_an_allowed_key_verifies_and_names_its_signer():
    statement = signing.rolled_out_statement(SHA, DIGEST, "staging", "now")
    signature = signing.sign(statement, KEY)
    assert signing.verify(statement, signature, ALLOWED) == signing.Verified("ci@saltline.test")


def test_what_does_not_count_says_why(tmp_path):
    statement = signing.rolled_out_statement(SHA, DIGEST, "staging", "now")
    assert signing.verify(statement, None, ALLOWED).refusal == "unsigned"
    intruder = signing.sign(statement, other_key(tmp_path))
    assert "does not allow" in signing.verify(statement, intruder, ALLOWED).refusal
    other = signing.rolled_out_statement(SHA, "e" * 64, "staging", "now")
    mismatch = signing.verify(other, signing.sign(statement, KEY), ALLOWED).refusal
    assert "does not match" in mismatch


@pytest.fixture
def estate(tmp_path: Path) -> config.Config:
    root = tmp_path / "repo"
    (root / "salt").mkdir(parents=True)
    (root / "salt" / "top.sls").write_text("base: {'*': [web]}\n")
    (root / "saltline.yml").write_text(SETTINGS)
    git(root, "init", "-q")
    git(root, "-c", "user.email=o@example.test", "-c", "user.name=O", "add", "-A")
    git(root, "-c", "user.email=o@example.test", "-c", "user.name=O", "commit", "-qm", "x")
    return config.load(root / "saltline.yml")


def test_a_pass_counts_only_when_an_allowed_key_signed_it(estate, tmp_path):
    reports = tmp_path / "reports"
    before, why = gate.snapshot(estate)
    assert before is not None, why
    gate.record(estate, before, reports, estate.targets(), None)  # no key: unsigned
    found = pass_records.read(estate.root, before.sha, reports, ALLOWED)
    assert found.records == [] and "unsigned" in found.refused[0]
    expected = gate.fingerprint(estate, before.sha)
    assert "has no pass that counts" in gate.verdict(found.records, expected, found.refused)
    signed = dataclasses.replace(estate, signing_key=KEY)
    gate.record(signed, before, reports, estate.targets(), None)
    found = pass_records.read(estate.root, before.sha, reports, ALLOWED)
    assert {record.signer for record in found.records} == {"ci@saltline.test"}  # notes, file
    assert gate.verdict(found.records, expected, found.refused) is None


def test_a_signature_moved_onto_a_hand_edited_record_does_not_count(estate, tmp_path):
    reports = tmp_path / "reports"
    before, _ = gate.snapshot(estate)
    assert before is not None
    signed = dataclasses.replace(estate, signing_key=KEY)
    gate.record(signed, before, reports, estate.targets()[:0], "1/2")  # tested nothing
    path = next(reports.glob("pass-*.json"))
    document = json.loads(path.read_text())
    document["statement"]["predicate"]["passedTests"] = before.matrix  # "tested everything"
    document["statement"]["predicate"]["saltline"]["shard"] = None
    path.write_text(json.dumps(document))
    git(estate.root, "notes", "--ref", "saltline", "remove", before.sha)
    found = pass_records.read(estate.root, before.sha, reports, ALLOWED)
    assert found.records == [] and "does not match" in found.refused[0]


def test_a_rollout_record_counts_for_its_release_and_environment_only():
    signed = signing.rollout_record(SHA, DIGEST, "staging", "now", KEY)
    assert gate.rollout_refusal(signed, SHA, "staging", ALLOWED) is None
    assert gate.rollout_refusal(signed, SHA, "staging", None) is None
    assert "another release or place" in gate.rollout_refusal(signed, SHA, "prod", ALLOWED)
    assert "another release or place" in gate.rollout_refusal(signed, "b" * 40, "staging", ALLOWED)
    unsigned = signing.rollout_record(SHA, DIGEST, "staging", "now", None)
    assert "unsigned" in gate.rollout_refusal(unsigned, SHA, "staging", ALLOWED)
    assert "has not reached staging" in gate.rollout_refusal(None, SHA, "staging", ALLOWED)
    legacy = {"event": "rolled-out", "sha": SHA}  # written before records were signed
    assert "is unsigned" in gate.rollout_refusal(legacy, SHA, "staging", ALLOWED)


def test_a_key_that_cannot_sign_is_a_saltline_error_saying_what_it_signed(tmp_path):
    with pytest.raises(signing.SigningError, match="could not sign the rollout record: "
                       "SALTLINE_SIGNING_KEY: cannot read"):  # fmt: skip
        signing.rollout_record(SHA, DIGEST, "staging", "now", tmp_path / "gone")
    (tmp_path / "garbage").write_text("not a key\n")
    pass_statement = signing.passed_statement(SHA, DIGEST, {}, [])
    with pytest.raises(SaltlineError, match="could not sign the pass: ssh-keygen -Y sign"):
        signing.sign(pass_statement, tmp_path / "garbage")
