{%- from "node_exporter/map.jinja" import node_exporter with context %}
{%- set args = ["--web.listen-address=" ~ node_exporter.listen_address] %}
{%- for collector in node_exporter.collectors_disabled %}
{%-   do args.append("--no-collector." ~ collector) %}
{%- endfor %}

include:
  - node_exporter.package

node-exporter-config-args-file-managed:
  file.managed:
    - name: {{ node_exporter.defaults_file }}
    - mode: "0644"
    - contents: |
        # Managed by Salt (node_exporter).
        ARGS="{{ args | join(" ") }}"
    - require:
      - sls: node_exporter.package
