{%- from "localization/map.jinja" import localization with context %}

include:
  - localization.package

localization-config-localtime-file-symlink:
  file.symlink:
    - name: /etc/localtime
    - target: {{ localization.zoneinfo }}/{{ localization.timezone }}
    - force: true
    - require:
      - sls: localization.package

localization-config-timezone-file-managed:
  file.managed:
    - name: /etc/timezone
    - contents: {{ localization.timezone | json }}
    - require:
      - sls: localization.package

localization-config-locale-gen-file-managed:
  file.managed:
    - name: {{ localization.locale_gen }}
    - contents: |
        # Managed by Salt (localization): the locales generated on this system.
{%- for locale in localization.locales %}
        {{ locale }} {{ locale.split(".")[-1] if "." in locale else "ISO-8859-1" }}
{%- endfor %}
    - require:
      - sls: localization.package

localization-config-locale-gen-cmd-run:
  cmd.run:
    - name: locale-gen
    - onchanges:
      - file: localization-config-locale-gen-file-managed

localization-config-default-locale-file-managed:
  file.managed:
    - name: {{ localization.default_locale }}
    - contents: |
        LANG={{ localization.lang }}
    - require:
      - cmd: localization-config-locale-gen-cmd-run
