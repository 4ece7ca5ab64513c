{%- from "sshd/map.jinja" import sshd with context %}

sshd-package-install-pkg-installed:
  pkg.installed:
    - name: {{ sshd.pkg }}
    - install_recommends: false
