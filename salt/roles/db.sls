# A database server.
include:
  - postgres
