# A web server: the site over TLS, and the application's database client.
include:
  - nginx
  - webapp
