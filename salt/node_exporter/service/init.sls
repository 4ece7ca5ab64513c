{%- from "node_exporter/map.jinja" import node_exporter with context %}

include:
  - node_exporter.config

node-exporter-service-running-service-running:
  service.running:
    - name: {{ node_exporter.service }}
    - enable: true
    - watch:
      - sls: node_exporter.config
