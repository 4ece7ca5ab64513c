"""Salt's render errors, recorded from real mock applies of tests/fixtures/render-errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from saltline.pipeline import sources
from saltline.pipeline.render_errors import Estate, locate
from saltline.salt_results import ApplyRun, parse_apply

ESTATE_DIR = Path(__file__).parents[2] / "fixtures" / "render-errors"
ESTATE = Estate(ESTATE_DIR, (ESTATE_DIR / "salt",), (ESTATE_DIR / "pillar",))


def located(fixture_text, case: str) -> list[str]:
    run = parse_apply(fixture_text("render", f"{case}.stdout"))
    return [str(error) for error in locate(run, fixture_text("render", f"{case}.stderr"), ESTATE)]


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        (
            "jinja_syntax",
            "salt/jinja_syntax.sls:4: Jinja syntax error: "
            "expected token 'end of print statement', got 'bar'",
        ),
        (
            "undefined_var",
            "salt/undefined_var.sls:4: Jinja variable 'not_defined_var' is undefined",
        ),
        (
            "missing_pillar",
            "salt/missing_pillar.sls:4: Jinja variable 'collections.OrderedDict object' "
            "has no attribute 'secret_key'",
        ),
        (
            "missing_include",
            "salt/missing_include.sls:2: includes does.not.exist, which does not exist",
        ),
        (
            "missing_requisite",
            "salt/missing_requisite.sls:5: (state ok-file) "
            "The following requisites were not found: require: file: no-such-state",
        ),
        ("deep", "salt/deep/map.jinja:2: Jinja variable 'str object' has no attribute 'nope'"),
    ],
)
def test_each_state_render_failure_names_file_and_line(fixture_text, case, expected):
    assert located(fixture_text, case) == [expected]


def test_invalid_yaml_names_the_line_where_the_parser_gave_up(fixture_text):
    [message] = located(fixture_text, "invalid_yaml")
    assert message.startswith(
        "salt/invalid_yaml.sls:4: invalid YAML: while parsing a block mapping"
    )
    assert "did not find expected key" in message


def test_pillar_failures_name_the_pillar_file_and_the_top_file_line(fixture_text):
    messages = located(fixture_text, "pillar_errors")
    assert len(messages) == 2
    assert messages[0].startswith(
        "pillar/broken.sls:3: invalid YAML: while parsing a block mapping"
    )
    assert messages[1] == "pillar/top.sls:8: pillar SLS nosuch does not exist (dev)"


def test_an_sls_name_maps_to_its_file_or_its_init(tmp_path):
    (tmp_path / "salt" / "nginx" / "config").mkdir(parents=True)
    (tmp_path / "salt" / "nginx" / "config" / "init.sls").write_text("")
    (tmp_path / "salt" / "nginx" / "package.sls").write_text("")
    estate = Estate(tmp_path, (tmp_path / "salt",), (tmp_path / "pillar",))
    assert estate.shown(estate.sls_file("nginx.config")) == "salt/nginx/config/init.sls"
    assert estate.shown(estate.sls_file("nginx.package")) == "salt/nginx/package.sls"
    assert estate.shown(estate.sls_file("nginx.missing")) == "salt/nginx/missing.sls"


def test_a_state_module_that_loads_only_after_its_packages_is_not_an_error(fixture_text):
    # postgres_user needs psql, which the highstate itself installs; converge checks it.
    assert located(fixture_text, "unloadable_module") == []


def test_an_unknown_state_function_is_still_an_error(fixture_text):
    messages = located(fixture_text, "unknown_state_function")
    assert len(messages) == 2
    assert "State 'postgres_usr.present' was not found" in messages[0]
    assert "The following requisites were not found" in messages[1]


def test_a_secret_that_cannot_be_decrypted_names_the_file_and_what_to_do(fixture_text):
    messages = located(fixture_text, "undecryptable")
    assert len(messages) == 2
    shop, tls = messages
    assert shop.startswith(
        "pillar/environments/dev/shop.sls: a GPG-encrypted value could not be decrypted "
        "(encrypted to key F20D6B56D53850B8): decryption failed: No secret key."
    )
    assert "secrets.gpg_key" in shop
    assert tls.startswith("pillar/environments/dev/tls.sls: a GPG-encrypted value")
    assert "BEGIN PGP MESSAGE" not in shop + tls


def test_a_state_id_declared_by_the_estate_and_a_formula_names_both_files(tmp_path):
    (tmp_path / "salt").mkdir()
    (tmp_path / "salt" / "web.sls").write_text(
        "include:\n  - users\n\nmotd-file:\n  file.managed\n"
    )
    formula = tmp_path / "cache" / "users-commit"
    (formula / "users").mkdir(parents=True)
    (formula / "users" / "init.sls").write_text("# users\nmotd-file:\n  file.managed\n")
    estate = Estate(tmp_path, (tmp_path / "salt", formula), names={formula: "formula users"})
    message = (
        "Detected conflicting IDs, SLS IDs need to be globally unique.\n    The conflicting "
        "ID is 'motd-file' and is found in SLS 'base:web' and SLS 'base:users'"
    )
    [error] = locate(ApplyRun(errors=[message]), "", estate)
    assert str(error).startswith(
        "salt/web.sls:4: (state motd-file) state ID 'motd-file' is also declared in "
        "formula users: users/init.sls:2"
    )


def test_a_salt_url_no_root_serves_is_an_error_at_the_line_that_names_it(tmp_path):
    (tmp_path / "salt" / "web" / "files").mkdir(parents=True)
    (tmp_path / "salt" / "web" / "files" / "index.html").write_text("hi")
    (tmp_path / "salt" / "web" / "init.sls").write_text(
        "page:\n  file.managed:\n    - source: salt://web/files/gone.html\n"
    )
    estate = Estate(tmp_path, (tmp_path / "salt",))
    chunk = {"__sls__": "web", "__id__": "page", "source": "salt://web/files/gone.html"}
    found = {"__sls__": "web", "__id__": "ok", "source": "salt://web/files/index.html"}
    fallback = {"__sls__": "web", "__id__": "tofs", "source": [
        "salt://web/files/debian-12/index.html", "salt://web/files/index.html"]}  # fmt: skip
    other_env = {"__sls__": "web", "__id__": "dev", "source": "salt://x?saltenv=dev"}

    errors = sources.missing([chunk, found, fallback, other_env], estate)
    assert [str(error) for error in errors] == [
        "salt/web/init.sls:3: (state page) salt://web/files/gone.html is in no state root or "
        "formula; add the file, or fix the path (salt://PATH is PATH under a root of "
        "roots.states or a formula)"
    ]


@pytest.mark.parametrize(
    ("chunk", "fetched"),
    [
        ({"state": "file", "fun": "managed", "source": "salt://a"}, ["salt://a"]),
        ({"state": "file", "fun": "managed", "source": "salt://a", "source_hash": "salt://h"},
         ["salt://a", "salt://h"]),
        ({"state": "file", "fun": "recurse", "source": "salt://dir"}, ["salt://dir"]),
        ({"state": "archive", "fun": "extracted", "source": "salt://a.tgz"}, ["salt://a.tgz"]),
        ({"state": "pkg", "fun": "installed", "sources": [{"tool": "salt://tool.deb"}]},
         ["salt://tool.deb"]),
        ({"state": "cmd", "fun": "script", "name": "salt://run.sh"}, ["salt://run.sh"]),
        ({"state": "cron", "fun": "file", "name": "salt://crontab"}, ["salt://crontab"]),
        ({"state": "pkgrepo", "fun": "managed", "key_url": "salt://key.gpg"}, ["salt://key.gpg"]),
        ({"state": "file", "fun": "managed", "name": "salt://not/fetched"}, []),
        # data: a template's context and defaults, what a _mapdata state passes
        ({"state": "file", "fun": "managed", "source": "salt://t.jinja",
          "context": {"map": {"key": "salt://users/files/alice.pub"}},
          "defaults": {"key": "salt://x"}}, ["salt://t.jinja"]),
        ({"state": "test", "fun": "nop", "comment": "salt://just/text"}, []),
    ],
)  # fmt: skip
def test_only_the_arguments_salt_fetches_from_are_checked(chunk, fetched):
    assert [url for url, _ in sources.salt_urls(chunk)] == fetched
