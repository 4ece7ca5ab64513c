def test_steady_file_exists(host):
    assert host.file("/etc/flappy-steady").content_string.strip() == "steady"
