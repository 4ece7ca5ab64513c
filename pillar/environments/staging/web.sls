# The staging environment's web servers.
nginx:
  site:
    server_name: www.staging.example.test
    message: Hello from the staging environment, configured from pillar.
