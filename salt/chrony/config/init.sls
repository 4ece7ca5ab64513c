{%- from "chrony/map.jinja" import chrony with context %}

include:
  - chrony.package

chrony-config-file-managed:
  file.managed:
    - name: {{ chrony.config_file }}
    - source: salt://chrony/files/chrony.conf.jinja
    - template: jinja
    - mode: "0644"
    - context:
        chrony: {{ chrony | json }}
    - require:
      - sls: chrony.package

chrony-config-daemon-options-file-managed:
  file.managed:
    - name: {{ chrony.defaults_file }}
    - contents: |
        # Managed by Salt (chrony).
        DAEMON_OPTS={{ chrony.daemon_options | json }}
    - require:
      - sls: chrony.package

chrony-config-unit-dropin-file-managed:
{%- if chrony.unit_overrides %}
  file.managed:
    - name: {{ chrony.dropin }}
    - makedirs: true
    - contents: |
        # Managed by Salt (chrony).
{%- for section, settings in chrony.unit_overrides | dictsort %}
        [{{ section }}]
{%- for key, value in settings | dictsort %}
        {{ key }}={{ value }}
{%- endfor %}
{%- endfor %}
{%- else %}
  file.absent:
    - name: {{ chrony.dropin }}
{%- endif %}

chrony-config-unit-dropin-daemon-reload-cmd-run:
  cmd.run:
    - name: systemctl daemon-reload
    - onchanges:
      - file: chrony-config-unit-dropin-file-managed
