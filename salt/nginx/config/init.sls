{%- from "nginx/map.jinja" import nginx with context %}
{#- The site's settings without its TLS material: the key never enters rendered SLS. #}
{%- set site = nginx.site.copy() %}
{%- do site.pop("tls", None) %}
{%- set tls = nginx.tls_dir ~ "/" ~ site.name %}

include:
  - nginx.package

nginx-config-default-site-absent:
  file.absent:
    - name: {{ nginx.sites_enabled }}/default
    - require:
      - sls: nginx.package

nginx-config-tls-certificate-file-managed:
  file.managed:
    - name: {{ tls }}.crt
    - contents_pillar: nginx:site:tls:certificate
    - makedirs: true
    - mode: "0644"
    - require:
      - sls: nginx.package

nginx-config-tls-key-file-managed:
  file.managed:
    - name: {{ tls }}.key
    - contents_pillar: nginx:site:tls:key
    - mode: "0600"
    - show_changes: false
    - require:
      - file: nginx-config-tls-certificate-file-managed

nginx-config-site-file-managed:
  file.managed:
    - name: {{ nginx.sites_available }}/{{ site.name }}.conf
    - source: salt://nginx/files/site.conf.jinja
    - template: jinja
    - context:
        site: {{ site | json }}
        certificate: {{ tls }}.crt
        key: {{ tls }}.key
    - require:
      - sls: nginx.package

nginx-config-site-symlink:
  file.symlink:
    - name: {{ nginx.sites_enabled }}/{{ site.name }}.conf
    - target: {{ nginx.sites_available }}/{{ site.name }}.conf
    - require:
      - file: nginx-config-site-file-managed

nginx-config-page-file-managed:
  file.managed:
    - name: {{ site.root }}/index.html
    - source: salt://nginx/files/index.html.jinja
    - template: jinja
    - makedirs: true
    - user: root
    - group: {{ nginx.user }}
    - mode: "0644"
    - context:
        site: {{ site | json }}
