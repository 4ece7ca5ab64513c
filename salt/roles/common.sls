# Every minion: trust, tools, time, locale, people, remote access, kernel, metrics.
include:
  - ca_certificates
  - packages
  - localization
  - admins
  - sshd
  - chrony
  - sysctl
  - node_exporter
