include:
  - postgres.package
  - postgres.config
  - postgres.service
  - postgres.databases
