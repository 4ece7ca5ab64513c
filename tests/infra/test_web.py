"""The web role: nginx serves the shop over TLS, with content and certificate from pillar."""

from __future__ import annotations

# GET from the minion itself with Python (on every minion, curl is not), connecting to
# 127.0.0.1 but speaking to the site's name (SNI, Host, certificate check): prints the
# status, the Location header and the body.
GET = """
import http.client, socket, ssl, sys
name, port, path, ca = sys.argv[1:5]
raw = socket.create_connection(("127.0.0.1", int(port)))
if ca:
    context = ssl.create_default_context(cadata=ca)
    conn = http.client.HTTPSConnection(name, int(port), context=context)
    conn.sock = context.wrap_socket(raw, server_hostname=name)
else:
    conn = http.client.HTTPConnection(name, int(port))
    conn.sock = raw
conn.request("GET", path)
answer = conn.getresponse()
print(answer.status, answer.getheader("Location") or "-")
print(answer.read().decode(), end="")
"""


def get(host, name: str, path: str, ca: str = "", port: int = 443):
    """The GET's result: stdout is "<status> <location or ->" and the body."""
    return host.run("python3 -c %s %s %s %s %s", GET, name, str(port), path, ca)


def https_get(host, pillar, test_ca, path: str):
    """GET https://<server name><path> on this minion, trusting only the test CA."""
    return get(host, pillar("nginx:site:server_name"), path, ca=test_ca)


def test_nginx_is_running_enabled_and_its_configuration_valid(host):
    nginx = host.service("nginx")
    assert nginx.is_running
    assert nginx.is_enabled
    host.run_expect([0], "nginx -t")


def test_https_serves_the_pillar_page_with_a_chain_valid_against_the_test_ca(host, pillar, test_ca):
    page = https_get(host, pillar, test_ca, "/")
    assert page.rc == 0, page.stderr  # the chain and the server name are verified
    assert page.stdout.startswith("200 -\n")
    assert f"<p>{pillar('nginx:site:message')}</p>" in page.stdout
    assert f"<title>{pillar('nginx:site:title')}</title>" in page.stdout


def test_http_redirects_to_https_on_the_site_name(host, pillar):
    name = pillar("nginx:site:server_name")
    answer = get(host, name, "/a/b?c=d", port=80)
    assert answer.rc == 0, answer.stderr
    assert answer.stdout.splitlines()[0] == f"301 https://{name}/a/b?c=d"


def test_the_health_endpoint_answers_ok(host, pillar, test_ca):
    health = https_get(host, pillar, test_ca, pillar("nginx:site:health_path") or "/healthz")
    assert health.rc == 0, health.stderr
    assert health.stdout == "200 -\nok\n"


def test_the_tls_key_is_readable_by_root_only(host, pillar):
    key = host.file(f"/etc/nginx/tls/{pillar('nginx:site:name')}.key")
    assert key.user == "root"
    assert key.mode == 0o600
