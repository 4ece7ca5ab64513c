from __future__ import annotations

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
    (tmp_path / "test_web.py").write_text("")
    (tmp_path / "test_db.py").write_text("")
    assert suites_for(("web", "cache"), tmp_path) == [tmp_path / "test_web.py"]
