{%- from "postgres/map.jinja" import postgres with context %}
{%- set connection = {"user": postgres.superuser, "db_port": postgres.listen.port} %}

include:
  - postgres.service
{%- for name in postgres.users | sort %}

postgres-databases-{{ name }}-postgres-user-present:
  postgres_user.present:
    - name: {{ name }}
    - login: true
    - encrypted: scram-sha-256
    - password: {{ postgres.users[name].password | json }}
    - user: {{ connection.user }}
    - db_port: {{ connection.db_port }}
    - require:
      - sls: postgres.service
{%- endfor %}
{%- for name, database in postgres.databases | dictsort %}

postgres-databases-{{ name }}-postgres-database-present:
  postgres_database.present:
    - name: {{ name }}
    - owner: {{ database.owner }}
    - user: {{ connection.user }}
    - db_port: {{ connection.db_port }}
    - require:
      - postgres_user: postgres-databases-{{ database.owner }}-postgres-user-present
{%- endfor %}
