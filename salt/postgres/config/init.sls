{%- from "postgres/map.jinja" import postgres with context %}
{%- set addresses = [] %}
{%- for interface in postgres.listen.interfaces %}
{%-   do addresses.extend(grains["ip4_interfaces"].get(interface, [])) %}
{%- endfor %}
{%- set hba = [] %}
{%- for rule in postgres.hba %}
{%-   for client in rule.clients %}
{%-     if "/" in client %}
{%-       do hba.append({"database": rule.database, "user": rule.user, "address": client, "source": client}) %}
{%-     else %}
{%-       set found = salt["dnsutil.A"](client) %}
{%-       for address in (found if found is iterable and found is not string else []) %}
{%-         do hba.append({"database": rule.database, "user": rule.user, "address": address ~ "/32", "source": client}) %}
{%-       endfor %}
{%-     endif %}
{%-   endfor %}
{%- endfor %}

include:
  - postgres.package

postgres-config-settings-file-managed:
  file.managed:
    - name: {{ postgres.conf_dir }}/conf.d/saltline.conf
    - source: salt://postgres/files/saltline.conf.jinja
    - template: jinja
    - user: {{ postgres.superuser }}
    - mode: "0644"
    - context:
        addresses: {{ addresses | json }}
        port: {{ postgres.listen.port }}
        settings: {{ postgres.settings | json }}
    - require:
      - sls: postgres.package

postgres-config-hba-file-managed:
  file.managed:
    - name: {{ postgres.conf_dir }}/pg_hba.conf
    - source: salt://postgres/files/pg_hba.conf.jinja
    - template: jinja
    - user: {{ postgres.superuser }}
    - group: {{ postgres.superuser }}
    - mode: "0640"
    - context:
        hba: {{ hba | json }}
    - require:
      - sls: postgres.package
