"""Master URLs: what parses, and what a bad one is told."""

from __future__ import annotations

import pytest

from saltline.master_url import parse_master_url


@pytest.mark.parametrize(
    ("url", "scheme", "host", "user", "port"),
    [
        ("docker://saltline-staging-master", "docker", "saltline-staging-master", None, 22),
        ("ssh://deploy@salt1.example.net", "ssh", "salt1.example.net", "deploy", 22),
        ("ssh://deploy@10.0.0.5:2222", "ssh", "10.0.0.5", "deploy", 2222),
    ],
)
def test_master_urls_parse(url, scheme, host, user, port):
    address = parse_master_url(url)
    assert (address.scheme, address.host, address.user, address.port) == (scheme, host, user, port)


@pytest.mark.parametrize(
    "url",
    [
        "salt1.example.net",
        "ssh://salt1.example.net",
        "ssh://deploy@host:99999",
        "http://x",
        "docker://",
    ],
)
def test_bad_master_urls_say_what_is_expected(url):
    with pytest.raises(ValueError, match=r"ssh://user@host\[:port\] or docker://name|out of range"):
        parse_master_url(url)
