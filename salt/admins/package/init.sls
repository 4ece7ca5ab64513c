{%- from "admins/map.jinja" import admins with context %}

admins-package-install-pkg-installed:
  pkg.installed:
    - pkgs: {{ admins.pkgs | json }}
    - install_recommends: false
    - reload_modules: true   # ssh_auth needs the ssh client's tools to load
