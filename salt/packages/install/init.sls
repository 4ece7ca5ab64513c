{%- from "packages/map.jinja" import packages with context %}

packages-install-base-pkg-installed:
  pkg.installed:
    - pkgs: {{ packages.install | json }}
    - install_recommends: false
