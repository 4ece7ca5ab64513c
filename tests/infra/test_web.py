"""The web role: nginx serves the shop over TLS, with content and certificate from pillar."""

from __future__ import annotations

CA_FILE = "/tmp/saltline-test-ca.pem"


def https_get(host, pillar, test_ca, path: str):
    """GET https://<server name><path> on this minion, trusting only the test CA."""
    host.run_expect([0], "printf '%%s' %s > %s", test_ca, CA_FILE)
    name = pillar("nginx:site:server_name")
    return host.run(
        "curl -sS --fail --cacert %s --resolve %s https://%s%s",
        CA_FILE,
        f"{name}:443:127.0.0.1",
        name,
        path,
    )


def test_nginx_is_running_enabled_and_its_configuration_valid(host):
    nginx = host.service("nginx")
    assert nginx.is_running
    assert nginx.is_enabled
    host.run_expect([0], "nginx -t")


def test_https_serves_the_pillar_page_with_a_chain_valid_against_the_test_ca(host, pillar, test_ca):
    page = https_get(host, pillar, test_ca, "/")
    assert page.rc == 0, page.stderr  # curl verifies the chain and the server name
    assert f"<p>{pillar('nginx:site:message')}</p>" in page.stdout
    assert f"<title>{pillar('nginx:site:title')}</title>" in page.stdout


def test_http_redirects_to_https_on_the_site_name(host, pillar):
    name = pillar("nginx:site:server_name")
    answer = host.check_output(
        "curl -sS -o /dev/null -w '%{http_code} %{redirect_url}' http://localhost/a/b?c=d"
    )
    assert answer == f"301 https://{name}/a/b?c=d"


def test_the_health_endpoint_answers_ok(host, pillar, test_ca):
    health = https_get(host, pillar, test_ca, pillar("nginx:site:health_path") or "/healthz")
    assert health.rc == 0, health.stderr
    assert health.stdout == "ok\n"


def test_the_tls_key_is_readable_by_root_only(host, pillar):
    key = host.file(f"/etc/nginx/tls/{pillar('nginx:site:name')}.key")
    assert key.user == "root"
    assert key.mode == 0o600
