good-motd-file-managed:
  file.managed:
    - name: /etc/motd
    - contents_pillar: motd
