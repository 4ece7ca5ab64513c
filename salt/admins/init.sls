include:
  - admins.package
  - admins.sudo
  - admins.users
