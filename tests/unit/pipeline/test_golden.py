"""Golden data: secrets redacted, stable YAML, diffs that say what to do."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from saltline.config import Minion, Platform, Target
from saltline.pipeline import golden

PGP = "-----BEGIN PGP MESSAGE-----\n\nhQGMA/INa1bV\n-----END PGP MESSAGE-----\n"
JOB = Target(
    Minion("db1", ("db",), ("debian12",)), Platform("debian12", "bookworm", "x"), "dev", "3007.13"
)


def test_encrypted_values_are_redacted_at_any_depth():
    data = {"postgres": {"users": {"shop": {"password": PGP}}, "hba": [{"key": PGP}, "x"]}}
    assert golden.redact(data) == {
        "postgres": {
            "users": {"shop": {"password": golden.ENCRYPTED}},
            "hba": [{"key": golden.ENCRYPTED}, "x"],
        }
    }


def test_the_rendered_json_is_parsed_and_redacted():
    rendered = json.dumps({"pillar": {"secret": PGP}, "maps": {"nginx": {"port": 80}}})
    stdout = json.dumps({"local": rendered})
    assert golden.parse_rendered(stdout) == {
        "pillar": {"secret": golden.ENCRYPTED},
        "maps": {"nginx": {"port": 80}},
    }


def test_a_salt_error_instead_of_text_is_an_error():
    with pytest.raises(ValueError, match="expected rendered text"):
        golden.parse_rendered(json.dumps({"local": {"error": "boom"}}))


def test_the_template_imports_each_component_map(tmp_path: Path):
    for name in ("nginx", "postgres"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "map.jinja").write_text("")
    (tmp_path / "roles").mkdir()  # no map.jinja: not a component
    names = golden.components([tmp_path])
    assert names == ["nginx", "postgres"]
    template = golden.template(names)
    assert '{%- from "postgres/map.jinja" import postgres with context %}' in template
    assert '{{ {"pillar": pillar, "maps": maps} | json }}' in template


def test_yaml_is_sorted_with_multiline_strings_as_blocks():
    text = golden.to_yaml({"b": {"pem": "line1\nline2\n"}, "a": 1}, JOB)
    assert text.startswith("# Rendered data of db1 on debian12 in dev:")
    assert "a: 1\nb:\n  pem: |\n    line1\n    line2\n" in text
    assert yaml.safe_load(text) == {"a": 1, "b": {"pem": "line1\nline2\n"}}


def test_golden_files_live_per_environment_minion_and_platform(tmp_path: Path):
    assert golden.path_for(tmp_path, JOB) == tmp_path / "dev" / "db1.debian12.yaml"


def test_a_difference_is_a_unified_diff_with_what_to_do():
    assert golden.difference("a: 1\n", "a: 1\n", "g.yaml") is None
    missing = golden.difference(None, "a: 1\n", "g.yaml")
    assert missing == "g.yaml: no golden file; run `make golden` and commit it"
    changed = golden.difference("a: 1\nb: 2\n", "a: 1\nb: 3\n", "g.yaml")
    assert changed is not None
    assert "run `make golden` and commit the diff" in changed
    assert "-b: 2\n+b: 3" in changed


def test_long_diffs_are_cut_with_a_count():
    expected = "".join(f"k{i}: 0\n" for i in range(100))
    actual = "".join(f"k{i}: 1\n" for i in range(100))
    changed = golden.difference(expected, actual, "g.yaml")
    assert changed is not None
    assert changed.splitlines()[-1].endswith("more lines")
    assert len(changed.splitlines()) == golden.MAX_DIFF_LINES + 2
