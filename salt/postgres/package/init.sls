{%- from "postgres/map.jinja" import postgres with context %}

postgres-package-install-pkg-installed:
  pkg.installed:
    - name: {{ postgres.pkg }}
    - install_recommends: false
    - reload_modules: true   # postgres_user and postgres_database need psql to load
