# A web server: a role only composes components.
include:
  - nginx
