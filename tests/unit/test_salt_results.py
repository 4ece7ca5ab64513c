"""Salt's JSON, recorded from real `salt-call --local --out=json state.apply` runs."""

from __future__ import annotations

import pytest

from saltline.errors import SaltOutputError
from saltline.salt_results import (
    accepted_minions,
    answered_ping,
    describe_changes,
    describe_failure,
    not_idempotent,
    parse_apply,
)


def apply_fixture(fixture_text, name):
    return parse_apply(fixture_text("salt", f"apply-{name}.json"))


def test_a_first_run_reports_states_in_execution_order_with_their_changes(fixture_text):
    run = apply_fixture(fixture_text, "first-run")
    assert [(s.state_id, s.function) for s in run.states] == [
        ("nginx", "pkg.installed"),
        ("nginx", "service.running"),
    ]
    installed = run.states[0]
    assert installed.changes["nginx"]["new"].startswith("1.22")
    assert installed.sls == "top_test"
    assert installed.duration_ms == pytest.approx(4625.298)
    assert run.ok
    assert [s.function for s in run.changed] == ["pkg.installed"]


def test_a_second_run_without_changes_is_idempotent(fixture_text):
    run = apply_fixture(fixture_text, "second-run")
    assert run.ok
    assert not_idempotent(run) == []


def test_a_failing_state_and_its_dependants_are_failed(fixture_text):
    run = apply_fixture(fixture_text, "failing-requisite")
    assert not run.ok
    assert [s.state_id for s in run.failed] == ["broken-cmd-run", "depends-on-broken"]
    message = describe_failure(run.failed[0])
    assert "'broken-cmd-run'" in message
    assert "cmd.run" in message
    assert "SLS failing" in message
    assert 'Command "exit 3" run' in message


def test_changes_and_failures_on_a_second_run_are_not_idempotent(fixture_text):
    run = apply_fixture(fixture_text, "failing-requisite")
    offenders = not_idempotent(run)
    assert [s.state_id for s in offenders] == ["broken-cmd-run", "depends-on-broken"]
    assert "changed again: pid, retcode, stderr, stdout" in describe_changes(offenders[0])


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("render-error", "Jinja syntax error: expected token 'end of print statement'"),
        ("missing-sls", "No matching sls found for 'nonexist'"),
    ],
)
def test_render_errors_are_reported_and_nothing_ran(fixture_text, name, expected):
    run = apply_fixture(fixture_text, name)
    assert run.states == []
    assert not run.ok
    assert expected in run.errors[0]


@pytest.mark.parametrize(
    "stdout",
    [
        "",
        "Traceback (most recent call last):\n  boom",
        "[1, 2]",
        '{"a": 1, "b": 2}',
        '{"local": 5}',
    ],
)
def test_output_that_is_not_a_state_return_is_an_error(stdout):
    with pytest.raises(SaltOutputError):
        parse_apply(stdout)


def test_accepted_minions_from_salt_key() -> None:
    stdout = '{"minions": ["web1", "db1"], "minions_pre": ["new1"], "minions_rejected": []}'
    assert accepted_minions(stdout) == ["db1", "web1"]


def test_salt_key_output_that_is_not_json_is_an_error_naming_salt_key() -> None:
    with pytest.raises(SaltOutputError, match="salt-key did not print JSON"):
        accepted_minions("[ERROR   ] The master is not running")


def test_answered_ping_counts_only_true_answers() -> None:
    stdout = '{"web1": true, "db1": "Minion did not return. [No response]"}'
    assert answered_ping(stdout) == ["web1"]
    assert answered_ping("") == []
    assert answered_ping("Salt request timed out.") == []


def test_no_output_shows_what_salt_call_said_on_stderr_and_its_exit_code():
    stderr = 'Failed to create directory path "/etc/salt/pki/minion" - [Errno 17] File exists'
    with pytest.raises(SaltOutputError, match=r"exit code 17\): Failed to create directory"):
        parse_apply("", stderr, 17)
