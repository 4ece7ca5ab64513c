{%- from "ca_certificates/map.jinja" import ca_certificates with context %}
{%- set certificates = ca_certificates.certificates | dictsort %}

include:
  - ca_certificates.package

{%- for name, pem in certificates %}

ca-certificates-config-{{ name }}-file-managed:
  file.managed:
    - name: {{ ca_certificates.directory }}/{{ name }}.crt
    - contents: {{ pem | json }}
    - mode: "0644"
    - require:
      - sls: ca_certificates.package
{%- endfor %}
{%- if certificates %}

ca-certificates-config-update-cmd-run:
  cmd.run:
    - name: {{ ca_certificates.update_command }}
    - onchanges:
{%- for name, _ in certificates %}
      - file: ca-certificates-config-{{ name }}-file-managed
{%- endfor %}
{%- endif %}
