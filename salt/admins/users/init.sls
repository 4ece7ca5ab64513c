{%- from "admins/map.jinja" import admins with context %}

include:
  - admins.package
{%- for login in admins.present %}
{%- set person = admins.people[login] %}

admins-users-{{ login }}-user-present:
  user.present:
    - name: {{ login }}
    - uid: {{ person.uid }}
    - fullname: {{ person.fullname | json }}
    - shell: {{ admins.shell }}
    - createhome: true
    - groups:
      - {{ admins.group }}
    - require:
      - sls: admins.package

admins-users-{{ login }}-ssh-keys-ssh-auth-present:
  ssh_auth.present:
    - user: {{ login }}
    - names: {{ person.ssh_keys | json }}
    - require:
      - user: admins-users-{{ login }}-user-present
{%- endfor %}
{%- for login in admins.people | sort if login not in admins.present %}

admins-users-{{ login }}-user-absent:
  user.absent:
    - name: {{ login }}
    - purge: true
{%- endfor %}
