include:
  - node_exporter.package
  - node_exporter.config
  - node_exporter.service
