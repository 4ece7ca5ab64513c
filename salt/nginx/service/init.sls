{%- from "nginx/map.jinja" import nginx with context %}

include:
  - nginx.config

nginx-service-running-service-running:
  service.running:
    - name: {{ nginx.service }}
    - enable: true
    - reload: true
    - watch:
      - sls: nginx.config
