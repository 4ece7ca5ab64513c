{%- from "nginx/map.jinja" import nginx with context %}

include:
  - nginx.package

nginx-config-default-site-absent:
  file.absent:
    - name: {{ nginx.sites_enabled }}/default
    - require:
      - sls: nginx.package

nginx-config-site-file-managed:
  file.managed:
    - name: {{ nginx.sites_available }}/{{ nginx.site.name }}.conf
    - source: salt://nginx/files/site.conf.jinja
    - template: jinja
    - context:
        site: {{ nginx.site | json }}
    - require:
      - sls: nginx.package

nginx-config-site-symlink:
  file.symlink:
    - name: {{ nginx.sites_enabled }}/{{ nginx.site.name }}.conf
    - target: {{ nginx.sites_available }}/{{ nginx.site.name }}.conf
    - require:
      - file: nginx-config-site-file-managed

nginx-config-page-file-managed:
  file.managed:
    - name: {{ nginx.site.root }}/index.html
    - source: salt://nginx/files/index.html.jinja
    - template: jinja
    - makedirs: true
    - user: root
    - group: {{ nginx.user }}
    - mode: "0644"
    - context:
        site: {{ nginx.site | json }}
