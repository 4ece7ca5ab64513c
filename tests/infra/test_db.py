"""The db role: PostgreSQL with roles, databases, sizing and access from pillar."""

from __future__ import annotations

import pytest


def sql(host, query: str, port: str) -> str:
    return host.check_output("runuser -u postgres -- psql -p %s -At -c %s", port, query)


@pytest.fixture
def port(pillar) -> str:
    return str(pillar("postgres:listen:port") or 5432)


def test_postgresql_is_running_and_enabled(host):
    service = host.service("postgresql")
    assert service.is_running
    assert service.is_enabled


def test_it_listens_on_the_pillar_interfaces_only(host, pillar, port):
    for interface in pillar("postgres:listen:interfaces"):
        for address in host.interface(interface).addresses:
            if ":" not in address:  # IPv4
                assert host.socket(f"tcp://{address}:{port}").is_listening, address
    assert not host.socket(f"tcp://0.0.0.0:{port}").is_listening


def test_sizing_comes_from_pillar(host, pillar, port):
    for key, value in pillar("postgres:settings").items():
        assert sql(host, f"SHOW {key}", port) == str(value), key


def test_databases_belong_to_their_pillar_owners(host, pillar, port):
    databases = pillar("postgres:databases")
    assert databases
    for name, database in databases.items():
        owner = sql(
            host, f"SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = '{name}'", port
        )
        assert owner == database["owner"], name


def test_passwords_are_stored_as_scram_verifiers(host, pillar, port):
    for name in pillar("postgres:users"):
        stored = sql(host, f"SELECT rolpassword FROM pg_authid WHERE rolname = '{name}'", port)
        assert stored.startswith("SCRAM-SHA-256$"), name


def test_web_minions_authenticate_as_the_pillar_user(minions_with_role, pillar_of, port):
    web = minions_with_role("web")
    if not web:
        pytest.skip("no web minion in this run (test web1 and db1 together)")
    for name, web_host in web:
        expected_user = pillar_of(web_host, "webapp:database:user")
        who = web_host.run(
            "runuser -u shop -- psql -w -h %s -p %s -At -c %s %s",
            pillar_of(web_host, "webapp:database:host"),
            port,
            "SELECT current_user",
            pillar_of(web_host, "webapp:database:name"),
        )
        assert who.rc == 0, f"{name}: {who.stderr}"
        assert who.stdout.strip() == expected_user


def test_a_minion_not_in_pg_hba_is_refused(host, minion_id, port, pillar):
    # This minion connects to itself over the network: its address is not in pg_hba.
    user = next(iter(pillar("postgres:users")))
    refused = host.run(
        "runuser -u postgres -- psql -w -h %s -p %s -U %s -c 'SELECT 1' %s",
        minion_id,
        port,
        user,
        next(iter(pillar("postgres:databases"))),
    )
    assert refused.rc != 0
    assert "no pg_hba.conf entry for host" in refused.stderr
