def test_motd_comes_from_pillar(host):
    assert host.file("/etc/motd").content_string == "Welcome to good1, from pillar.\n"
