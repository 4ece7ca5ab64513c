{%- from "node_exporter/map.jinja" import node_exporter with context %}

node-exporter-package-install-pkg-installed:
  pkg.installed:
    - name: {{ node_exporter.pkg }}
    - install_recommends: false
