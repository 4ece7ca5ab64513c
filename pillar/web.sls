# Data shared by every environment's web servers.
nginx:
  site:
    name: saltline
    title: saltline reference estate
