"""template-formula's InSpec controls (test/integration/default/controls), for testinfra."""

from pathlib import Path

import pytest
import yaml

REPOSITORY = Path(__file__).resolve().parents[1]
REFERENCE = REPOSITORY / "test" / "integration" / "default" / "files" / "_mapdata"


def test_mapdata_matches_the_reference_file(host):  # _mapdata.rb
    finger = host.system_info.distribution + "-" + host.system_info.release.split(".")[0]
    dumped = yaml.safe_load(host.file("/tmp/salt_mapdata_dump.yaml").content_string)
    assert dumped == yaml.safe_load((REFERENCE / f"{finger}.yaml").read_text())


def test_the_package_is_installed(host):  # packages.rb
    assert host.package("bash").is_installed


def test_the_service_is_enabled_and_running(host):  # services.rb
    service = host.service("systemd-journald")
    assert service.is_enabled
    assert service.is_running


CONFIG_INCLUDES = [
    "This is another example file from SaltStack template-formula.",
    '"added_in_pillar": "pillar_value"',
    '"added_in_defaults": "defaults_value"',
    '"added_in_lookup": "lookup_value"',
    '"config": "/etc/template-formula.conf"',
    '"lookup": {"added_in_lookup": "lookup_value",',
    '"pkg": {"name": "',
    '"service": {"name": "',
    (
        '"tofs": {"files_switch": ["any/path/can/be/used/here", "id", "roles", "osfinger", '
        '"os", "os_family"], "source_files": {"TEMPLATE-config-file-file-managed": '
        '["example.tmpl.jinja"], "TEMPLATE-subcomponent-config-file-file-managed": '
        '["subcomponent-example.tmpl.jinja"]}'
    ),
    '"arch": "amd64"',
    '"winner": "pillar"}',
    "winner of the merge: pillar",
]


@pytest.mark.parametrize("text", CONFIG_INCLUDES)
def test_the_config_file(host, text):  # config.rb
    config = host.file("/etc/template-formula.conf")
    assert (config.is_file, config.user, config.group, config.mode) == (True, "root", "root", 0o644)
    assert text in config.content_string


def test_the_subcomponent_config_file(host):  # subcomponent_config.rb
    config = host.file("/etc/TEMPLATE-subcomponent-formula.conf")
    assert (config.is_file, config.user, config.group, config.mode) == (True, "root", "root", 0o644)
    content = config.content_string
    assert (
        "# File managed by Salt at <salt://TEMPLATE/subcomponent/config/files/default/"
        "subcomponent-example.tmpl.jinja>." in content
    )
    assert "This is another subcomponent example file from SaltStack template-formula." in content
