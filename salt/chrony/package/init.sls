{%- from "chrony/map.jinja" import chrony with context %}

chrony-package-install-pkg-installed:
  pkg.installed:
    - name: {{ chrony.pkg }}
    - install_recommends: false
