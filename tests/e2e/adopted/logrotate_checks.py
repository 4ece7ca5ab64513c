"""logrotate-formula's InSpec controls (test/integration/default/controls), for testinfra."""

import pytest


def owned_by_root(host, path: str, mode: int):
    file = host.file(path)
    assert (file.exists, file.user, file.group, file.mode) == (True, "root", "root", mode)
    return file


def test_the_package_is_installed(host):  # base.rb
    assert host.package("logrotate").is_installed


def test_the_configuration_file(host):
    owned_by_root(host, "/etc/logrotate.conf", 0o644)


def test_the_configuration_directory(host):
    assert owned_by_root(host, "/etc/logrotate.d", 0o755).is_directory


def test_the_service_is_enabled_and_running(host):
    service = host.service("cron")
    assert service.is_enabled
    assert service.is_running


COMMON = ["missingok", "compress"]
JOBS = {  # jobs.rb: file → what it must include
    "/etc/logrotate.d/error": ["/tmp/var/log/mysql/error", "weekly", "rotate 52",
                               "delaycompress", "notifempty", "create 640 root adm",
                               "sharedscripts", *COMMON],
    "/etc/logrotate.d/mysql": ["/tmp/var/log/mysql/*.log", "weekly", "rotate 52",
                               "delaycompress", "notifempty", "create 640 root adm",
                               "sharedscripts", *COMMON],
    "/etc/logrotate.d/syslog": ["/var/log/cron", "/var/log/maillog", "/var/log/messages",
                                "/var/log/secure", "/var/log/spooler", "/var/log/slapd.log",
                                "sharedscripts", "postrotate"],
    "/etc/logrotate.d/nginx": ["/var/log/nginx/*.log", "weekly", "delaycompress", "prerotate",
                               "if [ -d /etc/logrotate.d/httpd-prerotate ]; then \\",
                               "    run-parts /etc/logrotate.d/httpd-prerotate; \\",
                               "  fi \\", "postrotate",
                               "  invoke-rc.d nginx rotate >/dev/null 2>&1", *COMMON],
    "/etc/logrotate.hourly.d/nginx_high_traf": [
        "/var/log/nginx_high_traf/*.log", "hourly", "rotate 720", "notifempty", "dateext",
        "dateformat .%Y-%m-%d-%H00", "olddir /var/log/nginx_high_traf/archive",
        "sharedscripts", "postrotate", "kill -USR1 $(cat /var/run/nginx_high_traf.pid)",
        *COMMON],
    "/etc/logrotate.d/a_monthly_job": ["/var/log/a_service/*.log", "monthly", "rotate 12",
                                       "delaycompress", "notifempty", "create 640 root adm",
                                       "sharedscripts", *COMMON],
}  # fmt: skip


@pytest.mark.parametrize("path", JOBS)
def test_each_job(host, path):
    content = owned_by_root(host, path, 0o644).content_string
    missing = [text for text in JOBS[path] if text not in content]
    assert missing == []
