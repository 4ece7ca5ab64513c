include:
  - ca_certificates.package
  - ca_certificates.config
