# The prod environment's web servers.
nginx:
  site:
    server_name: www.prod.example.test
    message: Hello from the prod environment, configured from pillar.
