include:
  - webapp.package
  - webapp.config
