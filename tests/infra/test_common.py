"""The common role, on every minion: people, remote access, time, locale, kernel, metrics."""

from __future__ import annotations

import pytest
import testinfra

HARDENED_SSHD = {
    "permitrootlogin": "no",
    "passwordauthentication": "no",
    "kbdinteractiveauthentication": "no",
    "permitemptypasswords": "no",
    "pubkeyauthentication": "yes",
    "x11forwarding": "no",
}


def test_admins_of_this_environment_log_in_with_their_keys_and_may_sudo(host, pillar):
    people = pillar("admins:people")
    present = pillar("admins:present")
    assert present, "pillar admins:present is empty"
    for login in present:
        user = host.user(login)
        assert user.exists, login
        assert user.uid == people[login]["uid"]
        assert "sudo" in user.groups
        authorized = host.file(f"{user.home}/.ssh/authorized_keys").content_string
        for key in people[login]["ssh_keys"]:
            assert key in authorized
        rules = host.check_output("sudo -l -U %s", login)
        assert "(ALL : ALL) NOPASSWD: ALL" in rules


def test_people_who_are_not_admins_here_have_no_account(host, pillar):
    present = set(pillar("admins:present"))
    for login in set(pillar("admins:people")) - present:
        assert not host.user(login).exists, f"{login} is not an admin here"


def test_effective_sshd_settings_are_hardened(host):
    effective = dict(
        line.split(" ", 1) for line in host.check_output("sshd -T").splitlines() if " " in line
    )
    for key, expected in HARDENED_SSHD.items():
        assert effective[key] == expected, key
    assert int(effective["maxauthtries"]) <= 3


def test_sshd_answers_and_offers_only_public_keys(host):
    assert host.service("ssh").is_running
    attempt = host.run(
        "ssh -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null "
        "-o PreferredAuthentications=password,keyboard-interactive root@localhost true"
    )
    assert attempt.rc == 255
    assert "Permission denied (publickey)" in attempt.stderr


def test_chrony_runs_with_the_pillar_time_sources(host, pillar):
    chrony = host.service("chrony")
    assert chrony.is_running
    assert chrony.is_enabled
    host.run_expect([0], "chronyc -n tracking")  # the daemon answers
    config = host.file("/etc/chrony/chrony.conf").content_string
    for server in pillar("chrony:servers") or []:
        assert f"server {server} iburst" in config
    for pool in pillar("chrony:pools") or []:
        assert f"pool {pool} iburst" in config


def test_timezone_and_locale_come_from_pillar(host, pillar):
    timezone = pillar("localization:timezone")
    assert host.check_output("readlink -f /etc/localtime").endswith(f"/zoneinfo/{timezone}")
    lang = pillar("localization:lang")
    assert f"LANG={lang}" in host.file("/etc/default/locale").content_string
    charmap = host.run("env -i LANG=%s locale charmap", lang)
    assert charmap.stdout.strip() == "UTF-8"
    assert "Cannot set" not in charmap.stderr  # the locale is generated


@pytest.mark.parametrize("tool", ["curl", "htop", "less", "lsof", "vi"])
def test_base_tools_are_installed(host, tool):
    assert host.exists(tool)


def test_sysctl_hardening_names_real_kernel_parameters(host):
    config = host.file("/etc/sysctl.d/90-hardening.conf").content_string
    settings = dict(
        (part.strip() for part in line.split("=", 1))
        for line in config.splitlines()
        if "=" in line and not line.startswith("#")
    )
    assert settings["kernel.kptr_restrict"] == "2"
    assert settings["net.ipv4.tcp_syncookies"] == "1"
    assert settings["net.ipv4.conf.all.rp_filter"] == "1"
    in_container = host.file("/.dockerenv").exists
    for key, value in settings.items():
        live = host.run("sysctl -n %s", key)
        assert live.rc == 0, f"{key} is not a kernel parameter: {live.stderr}"
        if not in_container:  # a container shares the host's kernel and its settings
            assert live.stdout.split() == value.split(), key


def test_the_internal_ca_is_trusted(host, test_ca):
    body = "".join(line for line in test_ca.splitlines() if "-----" not in line)
    bundle = "".join(host.file("/etc/ssl/certs/ca-certificates.crt").content_string.split())
    assert body in bundle


def test_node_exporter_answers_on_its_port_here_and_over_the_network(
    host, pillar, minion_id, peers
):
    port = pillar("node_exporter:listen_address").rsplit(":", 1)[1]
    assert host.service("prometheus-node-exporter").is_running
    metrics = host.check_output("curl -sS --fail http://localhost:%s/metrics", port)
    assert "node_exporter_build_info" in metrics
    for name, peer in peers.items():  # as Prometheus would scrape it, from another minion
        if name != minion_id:
            other = testinfra.get_host(peer["host"])
            scraped = other.check_output("curl -sS --fail http://%s:%s/metrics", minion_id, port)
            assert "node_exporter_build_info" in scraped
