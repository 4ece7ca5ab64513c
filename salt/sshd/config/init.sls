{%- from "sshd/map.jinja" import sshd with context %}

include:
  - sshd.package

sshd-config-hardening-file-managed:
  file.managed:
    - name: {{ sshd.dropin }}
    - source: salt://sshd/files/hardening.conf.jinja
    - template: jinja
    - mode: "0644"
    - context:
        settings: {{ sshd.settings | json }}
    - require:
      - sls: sshd.package

# sshd -t checks the whole configuration, the drop-in included, before a restart.
sshd-config-validate-cmd-run:
  cmd.run:
    - name: {{ sshd.binary }} -t -f {{ sshd.config_file }}
    - onchanges:
      - file: sshd-config-hardening-file-managed
