{%- from "admins/map.jinja" import admins with context %}

include:
  - admins.package

admins-sudo-rule-file-managed:
  file.managed:
    - name: {{ admins.sudoers_file }}
    - contents: |
        # Managed by Salt (admins): members of {{ admins.group }} may run anything.
        %{{ admins.group }} {{ admins.sudo_rule }}
    - mode: "0440"
    - check_cmd: /usr/sbin/visudo -c -f
    - require:
      - sls: admins.package
