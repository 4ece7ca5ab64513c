{%- from "chrony/map.jinja" import chrony with context %}

include:
  - chrony.config

chrony-service-running-service-running:
  service.running:
    - name: {{ chrony.service }}
    - enable: true
    - watch:
      - sls: chrony.config
