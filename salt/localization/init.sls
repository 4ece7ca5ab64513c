include:
  - localization.package
  - localization.config
