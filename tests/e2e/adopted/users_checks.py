"""users-formula's InSpec control (test/integration/default/controls), for testinfra."""


def test_the_custom_home_of_buser(host):  # config_spec.rb
    home = host.file("/custom/buser")
    assert home.is_directory
    assert (home.user, home.group, home.mode) == ("buser", "primarygroup", 0o750)
