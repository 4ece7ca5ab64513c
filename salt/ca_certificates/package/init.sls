{%- from "ca_certificates/map.jinja" import ca_certificates with context %}

ca-certificates-package-install-pkg-installed:
  pkg.installed:
    - name: {{ ca_certificates.pkg }}
