def test_motd_comes_from_pillar(host):
    assert host.file("/etc/motd").content_string == "Welcome to good1, from pillar.\n"


def test_a_salt_url_in_template_context_is_data_not_a_file(host):
    """The render's salt:// check looks at what Salt fetches only: this URL is the
    template's context, so it renders, converges and reaches the file as text."""
    assert (
        "user_key: salt://users/files/alice.pub"
        in host.file("/etc/good-mapdata.yaml").content_string
    )
