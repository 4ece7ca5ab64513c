"""Exit codes and messages for bad input; none of these reach a Docker engine."""

from __future__ import annotations

import pytest

from saltline.cli import main


def test_a_missing_config_is_exit_2_naming_the_file(tmp_path, capsys):
    assert main(["-c", str(tmp_path / "saltline.yml"), "test"]) == 2
    assert f"{tmp_path}/saltline.yml: file not found" in capsys.readouterr().err


def test_an_invalid_config_is_exit_2_naming_the_key(tmp_path, capsys):
    path = tmp_path / "saltline.yml"
    path.write_text('salt_version: "3007.13"\nplatforms: {}\nminions: {}\nenvironments: [dev]\n')
    assert main(["-c", str(path), "test"]) == 2
    assert "saltline.yml:2: platforms: expected a non-empty mapping" in capsys.readouterr().err


def test_no_docker_engine_is_exit_2_saying_how_to_start_one(tmp_path, capsys, monkeypatch):
    path = tmp_path / "saltline.yml"
    path.write_text(
        'salt_version: "3007.13"\nplatforms: {debian12: {suite: bookworm}}\n'
        "environments: [dev]\nminions: {web1: {roles: [web]}}\n"
    )
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-such.sock")
    assert main(["-c", str(path), "test"]) == 2
    err = capsys.readouterr().err
    assert f"no Docker engine answers at unix://{tmp_path}/no-such.sock" in err
    assert "ci/ensure-docker.sh" in err


def test_an_unknown_command_is_a_usage_error():
    with pytest.raises(SystemExit) as exited:
        main(["deploy"])
    assert exited.value.code == 2


def test_ctrl_c_is_handled_even_when_started_with_sigint_ignored(tmp_path):
    """A shell without job control starts background commands with SIGINT ignored."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        main(["-c", str(tmp_path / "saltline.yml"), "lint"])
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler)


ESTATE = (
    'salt_version: "3007.13"\nplatforms: {debian12: {suite: bookworm}, debian13: {suite: trixie}}\n'
    'environments: {dev: {test: true}, staging: {masters: ["docker://nowhere"]}}\n'
    "minions: {web1: {roles: [web]}}\n"
)


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["test", "web1", "--default-cell", "--platform", "debian13"],
         "--default-cell and --platform debian13 are two cell selections"),
        (["render", "--salt", "3007", "--default-cell"],
         "--default-cell and --salt 3007 are two cell selections"),
        (["test", "--only", "render,converge", "--skip", "converge"],
         "--only converge and --skip converge"),
        (["promote", "staging", "--dry-run", "--force", "--reason", "x"],
         "--dry-run and --force: a dry run changes nothing"),
        (["promote", "staging", "--dry-run", "--keep-on-failure"],
         "--dry-run and --keep-on-failure"),
        (["promote", "staging", "--untested"], "--untested goes with --dry-run only"),
    ],
)  # fmt: skip
def test_options_that_cannot_go_together_are_a_usage_error_naming_both(
    tmp_path, capsys, args, said
):
    (tmp_path / "salt").mkdir()
    path = tmp_path / "saltline.yml"
    path.write_text(ESTATE)
    assert main(["-c", str(path), *args]) == 2
    assert said in capsys.readouterr().err
