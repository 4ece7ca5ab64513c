"""The web role: nginx serves the site whose content comes from pillar."""

from __future__ import annotations

FETCH = "import sys, urllib.request; print(urllib.request.urlopen(sys.argv[1]).read().decode())"


def test_nginx_is_running_and_enabled(host):
    nginx = host.service("nginx")
    assert nginx.is_running
    assert nginx.is_enabled


def test_nginx_configuration_is_valid(host):
    host.run_expect([0], "nginx -t")


def test_nginx_listens_on_port_80(host):
    assert host.socket("tcp://0.0.0.0:80").is_listening


def test_default_site_is_disabled(host):
    assert not host.file("/etc/nginx/sites-enabled/default").exists


def test_page_shows_the_pillar_message(host, pillar):
    message = pillar("nginx:site:message")
    assert message, "pillar nginx:site:message is empty"
    page = host.check_output("python3 -c %s %s", FETCH, "http://localhost/")
    assert f"<p>{message}</p>" in page
    assert f"<title>{pillar('nginx:site:title')}</title>" in page
