{%- from "localization/map.jinja" import localization with context %}

localization-package-install-pkg-installed:
  pkg.installed:
    - pkgs: {{ localization.pkgs | json }}
    - install_recommends: false
