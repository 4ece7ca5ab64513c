{%- from "postgres/map.jinja" import postgres with context %}

include:
  - postgres.config

# listen_addresses and port take a restart; pg_hba.conf alone would take a reload.
postgres-service-running-service-running:
  service.running:
    - name: {{ postgres.service }}
    - enable: true
    - watch:
      - sls: postgres.config
