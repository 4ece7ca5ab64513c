include:
  - packages.install
