{%- from "webapp/map.jinja" import webapp with context %}

include:
  - webapp.package

webapp-config-user-present:
  user.present:
    - name: {{ webapp.user }}
    - home: {{ webapp.home }}
    - createhome: true
    - system: true
    - shell: /usr/sbin/nologin

# The application's database credentials, for libpq (psql, drivers). The template
# reads the password from pillar itself, so it never appears in rendered SLS.
webapp-config-pgpass-file-managed:
  file.managed:
    - name: {{ webapp.home }}/.pgpass
    - source: salt://webapp/files/pgpass.jinja
    - template: jinja
    - user: {{ webapp.user }}
    - mode: "0600"
    - show_changes: false
    - require:
      - user: webapp-config-user-present
