{%- from "nginx/map.jinja" import nginx with context %}

include:
  - nginx.config

# A configuration nginx rejects fails here, before the running server is touched.
nginx-service-config-test-cmd-run:
  cmd.run:
    - name: nginx -t
    - onchanges:
      - sls: nginx.config

nginx-service-running-service-running:
  service.running:
    - name: {{ nginx.service }}
    - enable: true
    - reload: true
    - require:
      - cmd: nginx-service-config-test-cmd-run
    - watch:
      - sls: nginx.config
