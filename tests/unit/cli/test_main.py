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
