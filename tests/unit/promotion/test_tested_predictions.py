"""A dry run's prediction read against what the tested commit's converges saw of Salt's."""

from __future__ import annotations

from saltline.promotion import tested_predictions
from saltline.promotion.pass_records import Fingerprint, PassRecord, parse_record

FINGERPRINT = Fingerprint("c" * 40, {"salt": "t"}, "d" * 64, "c", "3007.13", ["k"])


def test_a_pass_carries_its_predictions_through_json():
    record = PassRecord(FINGERPRINT, ["k"], None, "now",
                        predictions={"web1": {"held": ["a"], "unpredicted": ["b"]}})  # fmt: skip
    assert parse_record(record.to_json()) == record
    assert parse_record(PassRecord(FINGERPRINT, ["k"], None, "now").to_json()).predictions is None


def test_each_predicted_change_is_said_as_tests_saw_it_and_what_they_saw_missed():
    passes = [
        PassRecord(FINGERPRINT, ["k"], "1/2", "now",
                   predictions={"web1": {"held": ["page"], "predicted_unchanged": ["svc"]}}),
        PassRecord(FINGERPRINT, ["k"], "2/2", "now",
                   predictions={"web1": {"unpredicted": ["reload"]}}),
        PassRecord(FINGERPRINT, ["k"], None, "now"),  # did not check: says nothing
    ]  # fmt: skip
    tested = tested_predictions.from_passes(passes)
    assert tested is not None
    lines = tested_predictions.lines(["page", "svc", "new"], tested["web1"])
    assert lines == [
        "Salt's prediction held in tests for 1 of 3 predicted changes; predicted, did not "
        "change in tests: svc; not seen in tests: new",
        "may change although not predicted (test=True missed them in tests): reload",
    ]
    assert tested_predictions.report(["page"], tested["web1"]) == {
        "predicted": {"page": "held in tests"},
        "unpredicted_in_tests": ["reload"],
    }
    assert tested_predictions.from_passes(passes[2:]) is None
    assert tested_predictions.lines(["page"], None) == []
