# The dev environment's web servers.
nginx:
  site:
    server_name: www.dev.example.test
    message: Hello from the dev environment, configured from pillar.
