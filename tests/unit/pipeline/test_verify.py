from __future__ import annotations

import pytest

from saltline.config import VerifyTests
from saltline.errors import ConfigError
from saltline.pipeline.verify import parse_junit, suites_for


def test_testinfra_cases_are_named_without_the_per_run_host(fixture_text):
    cases = parse_junit(fixture_text("junit", "testinfra-one-failure.xml"), "web1@debian12")
    assert [case.name for case in cases] == [
        "test_web::test_nginx_is_running_and_enabled",
        "test_web::test_page_shows_the_pillar_message",
        "test_web::test_only_on_bullseye",
    ]
    assert {case.classname for case in cases} == {"web1@debian12.verify"}
    assert cases[0].failure is None
    assert cases[1].failure is not None
    assert cases[1].failure.startswith("AssertionError: assert '<p>Hello</p>' in ''")
    assert cases[2].skipped == "not bullseye"


def test_suites_are_the_roles_that_have_one(tmp_path):
    (tmp_path / "tests" / "infra").mkdir(parents=True)
    (tmp_path / "tests" / "infra" / "test_web.py").write_text("")
    (tmp_path / "tests" / "infra" / "test_db.py").write_text("")
    found = suites_for(("web", "cache"), tmp_path, VerifyTests())
    assert found == [tmp_path / "tests" / "infra" / "test_web.py"]


def test_configured_suites_are_the_roles_and_every_minions(tmp_path):
    (tmp_path / "checks").mkdir()
    for name in ("base.py", "web.py", "tls.py"):
        (tmp_path / "checks" / name).write_text("")
    tests = VerifyTests(
        suites={"*": ("checks/base.py",), "web": ("checks/web.py", "checks/tls.py")}
    )
    assert suites_for(("web",), tmp_path, tests) == [
        tmp_path / "checks" / name for name in ("base.py", "web.py", "tls.py")
    ]
    assert suites_for(("db",), tmp_path, tests) == [tmp_path / "checks" / "base.py"]
    with pytest.raises(ConfigError, match=r"checks/gone\.py, which does not exist"):
        suites_for(("db",), tmp_path, VerifyTests(suites={"db": ("checks/gone.py",)}))
