{%- from "sshd/map.jinja" import sshd with context %}

include:
  - sshd.config

sshd-service-running-service-running:
  service.running:
    - name: {{ sshd.service }}
    - enable: true
    - watch:
      - sls: sshd.config
