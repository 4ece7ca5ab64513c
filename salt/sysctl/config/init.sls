{%- from "sysctl/map.jinja" import sysctl with context %}

sysctl-config-hardening-file-managed:
  file.managed:
    - name: {{ sysctl.config_file }}
    - mode: "0644"
    - contents: |
        # Managed by Salt (sysctl): kernel hardening.
{%- for key, value in sysctl.settings | dictsort %}
        {{ key }} = {{ value }}
{%- endfor %}
{%- if sysctl.apply %}

sysctl-config-hardening-load-cmd-run:
  cmd.run:
    - name: sysctl --load={{ sysctl.config_file }}
    - onchanges:
      - file: sysctl-config-hardening-file-managed
{%- endif %}
