{%- from "webapp/map.jinja" import webapp with context %}

webapp-package-database-client-pkg-installed:
  pkg.installed:
    - name: {{ webapp.client_pkg }}
    - install_recommends: false
