"""Lint output parsers: yamllint, salt-lint and ruff, as their machine formats print them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from saltline import config
from saltline.errors import SaltlineError
from saltline.pipeline import lint
from saltline.pipeline.lint import Finding, parse_ruff, parse_salt_lint, parse_yamllint

ROOT = Path("/srv/estate")


def test_yamllint_parsable_lines_become_findings():
    output = (
        "./pillar/web.sls:3:5: [error] syntax error: mapping values are not allowed here (syntax)\n"
        'saltline.yml:1:1: [warning] missing document start "---" (document-start)\n'
    )
    assert parse_yamllint(output, ROOT) == [
        Finding(
            "yamllint",
            "pillar/web.sls",
            3,
            "syntax",
            "syntax error: mapping values are not allowed here",
        ),
        Finding("yamllint", "saltline.yml", 1, "document-start", 'missing document start "---"'),
    ]


def test_salt_lint_json_becomes_findings():
    output = json.dumps(
        [
            {
                "id": "207",
                "message": "File modes should always be encapsulated in quotation marks",
                "filename": "salt/app.sls",
                "linenumber": 4,
                "line": "    - mode: 644",
                "severity": "HIGH",
            }
        ]
    )
    [finding] = parse_salt_lint(output, ROOT)
    assert str(finding) == (
        "salt/app.sls:4: [salt-lint 207] "
        "File modes should always be encapsulated in quotation marks"
    )


def test_ruff_json_paths_are_shown_relative_to_the_estate():
    output = json.dumps(
        [
            {
                "code": "F821",
                "message": "Undefined name `shard`",
                "filename": "/srv/estate/tests/infra/test_web.py",
                "location": {"row": 115, "column": 12},
            }
        ]
    )
    assert parse_ruff(output, ROOT) == [
        Finding("ruff", "tests/infra/test_web.py", 115, "F821", "Undefined name `shard`")
    ]


def test_no_output_is_no_finding():
    assert parse_yamllint("", ROOT) == parse_salt_lint("", ROOT) == parse_ruff("[]", ROOT) == []


def test_salt_lint_progress_lines_before_the_json_are_skipped():
    """A `.salt-lint` with `verbosity: 1` prints what it examines before its JSON."""
    output = (
        "Examining salt/web.sls of type state\n"
        '[{"id": "204", "message": "Lines should be no longer than 160 chars",'
        ' "filename": "salt/web.sls", "linenumber": 3, "line": "x", "severity": "LOW"}]\n'
    )
    [finding] = parse_salt_lint(output, ROOT)
    assert (
        str(finding) == "salt/web.sls:3: [salt-lint 204] Lines should be no longer than 160 chars"
    )


@pytest.mark.parametrize(
    "output", ["Traceback (most recent call last):\n  boom", "[{not json", '[{"id": "204"}]']
)
def test_unreadable_tool_output_is_an_error_naming_the_tool(output):
    with pytest.raises(SaltlineError, match=r"^salt-lint printed"):
        parse_salt_lint(output, ROOT)


def test_salt_lint_progress_lines_alone_mean_no_findings():
    assert parse_salt_lint("Examining salt/init.sls of type state\n", ROOT) == []


PILLAR = {
    "plain.sls": "site:\n  name:   shop\n",  # yamllint: too many spaces after colon
    "templated.sls": "{% set name = 'shop' %}\nsite:\n  name: {{ name }} \n",  # salt-lint 201
    "encrypted.sls": "#!yaml|gpg\nsecret:   x\n",  # yamllint again
    "python.sls": "#!py\ndef run():\n    return {}\n",  # neither: Python
}


def test_each_pillar_file_is_linted_by_the_tool_that_reads_its_renderer(tmp_path):
    (tmp_path / "saltline.yml").write_text(
        "salt_version: '3007.13'\nplatforms: {debian12: {suite: bookworm}}\n"
        "environments: {dev: {test: true}}\nminions: {web1: {roles: [web]}}\n"
    )
    (tmp_path / "salt").mkdir()
    (tmp_path / "salt" / "top.sls").write_text("base:\n  '*': []\n")
    (tmp_path / "pillar").mkdir()
    for name, text in PILLAR.items():
        (tmp_path / "pillar" / name).write_text(text)
    result = lint.run(config.load(tmp_path / "saltline.yml"))
    flagged = {(line.split(":")[0], line.split("[")[1].split()[0])
               for line in result.message.splitlines()}  # fmt: skip
    assert flagged == {
        ("pillar/plain.sls", "yamllint"),
        ("pillar/templated.sls", "salt-lint"),
        ("pillar/encrypted.sls", "yamllint"),
    }
