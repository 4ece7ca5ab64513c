"""saltcheck results as JUnit cases: what Salt returns, through `run_state_tests`."""

from __future__ import annotations

import json

from saltline.errors import CommandTimeout
from saltline.pipeline import saltcheck

# What `saltcheck.run_state_tests motd` returned on Salt 3007.13 with output details on.
MOTD = [
    {"motd": {
        "motd-file-exists": {"status": "Pass", "duration": 0.77,
                             "module.function [args]": 'file.file_exists ["/etc/motd"]',
                             "saltcheck assertion": "True is True"},
        "motd-file-mode": {"status": "Fail: 0600 is not equal to 0644", "duration": 0.14,
                           "module.function [args]": 'file.get_mode ["/etc/motd"]',
                           "saltcheck assertion": "0600 == 0644"},
        "motd-later": {"status": "Skip", "duration": 0.0},
    }},
    {"TEST RESULTS": {"Execution Time": 0.91, "Passed": 1, "Failed": 1, "Skipped": 1,
                      "Missing Tests": 0}},
]  # fmt: skip
SITE_WITHOUT_TESTS = [{"site": {}}, {"TEST RESULTS": {"Missing Tests": 1}}]


def run(stdout: str) -> saltcheck.StageResult:
    return saltcheck.run(lambda command, timeout: (stdout, "a warning"), "base/app1", 60)


def test_each_test_is_a_case_and_a_failure_says_assertion_expected_and_actual():
    result = run(json.dumps([SITE_WITHOUT_TESTS, MOTD]))
    assert result.status == "failed"
    assert [(c.name, c.classname, c.skipped) for c in result.cases] == [
        ("motd::motd-file-exists", "base/app1.saltcheck", None),
        ("motd::motd-file-mode", "base/app1.saltcheck", None),
        ("motd::motd-later", "base/app1.saltcheck", "skipped in its .tst file"),
    ]
    assert result.message == (
        "motd::motd-file-mode: Fail: 0600 is not equal to 0644\n"
        'module.function [args]: file.get_mode ["/etc/motd"]\n'
        "saltcheck assertion: 0600 == 0644"
    )


def test_states_without_tests_skip_the_backend():
    assert run(json.dumps([SITE_WITHOUT_TESTS])).status == "skipped"


def test_salts_own_error_and_unreadable_output_are_errors_not_tracebacks():
    error = run(json.dumps(["Rendering SLS 'motd.tst' failed"]))
    assert (error.status, error.message.splitlines()[0]) == (
        "error", "saltcheck: Rendering SLS 'motd.tst' failed")  # fmt: skip
    assert run("Traceback (most recent call last):").status == "error"


def test_a_hung_saltcheck_is_an_error_naming_the_limit():
    def hang(command: list[str], timeout: int) -> tuple[str, str]:
        raise CommandTimeout("no")

    result = saltcheck.run(hang, "base/app1", 60)
    assert (result.status, result.message) == ("error", "saltcheck did not finish within 60s")
