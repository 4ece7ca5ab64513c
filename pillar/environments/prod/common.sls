# prod: the on-call admins only, and the internal time servers.
admins:
  present: [alice]
chrony:
  pools: []
  servers: [ntp1.prod.example.test, ntp2.prod.example.test]
