include:
  - sysctl.config
