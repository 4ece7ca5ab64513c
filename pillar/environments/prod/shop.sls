#!yaml|gpg
# prod: the shop's site, database sizing and credentials (the password GPG-encrypted
# once, used by postgres and the web application through a YAML alias).
nginx:
  site:
    server_name: shop.example.test
    message: Hello from the prod environment, configured from pillar.

postgres:
  listen:
    interfaces: [lo, eth0]
  settings:
    shared_buffers: 1GB
    max_connections: 200
    work_mem: 16MB
  users:
    shop:
      password: &shop_password |
        -----BEGIN PGP MESSAGE-----

        hQGMA0RwZwZk69I3AQv9E44ylDW5+l43qtxvjFiEvSmxHaBJn5zc6GAexbJrk5d7
        XmsiNEdg+DrIMvU9MuaVLBGItn7i0MI5Fx5bkTMDZZigf1AWLHq4pFOWVbzoBW13
        gtRT+zMLLejzk2zUMYhE5l44G+4Y6ERukklNYtm46gE9AOU64BZUIdJbm6KFO57b
        kHloso3DgxmGWLe4E1dcWdPK+19xArfI+FuSBa7gopJyvPDUdLhoul2eeH1nAML1
        6zKCJ8ikZXZgRPnlASR9cmsxRNR4AIGLSCB2h0LJqO70nugiNpN5H4tNyV0FQELW
        iB/FHwBJWTct2FQa3v+eOn3eUfDagCTqXNI+AFc5eOpbIWEAd+nmFqXSF07932j7
        PrTTZKtF4BMuKPi3UyF2Bd0dpE6lwV+aEWJ8FR72rjNMmOe6alZGS6gYW3/scYUH
        acadzDnMz7n1eNKRpOpYyicpaqaihsupQDSiHidw/C2Ejupz21OaWx1KzViVr07+
        NRwxEdLDqsn7dhiSOk2L0lMBcPA3zvR4bsuz6oN528mYsgvRFrYG9vVP27liR6xD
        tgFmKpqfbwkccb2Z43o+LEXm7xWANSUNAvtDUdACSQfGcSUYA7EmODs3Bn0XNT8y
        EVGsew==
        =6ikM
        -----END PGP MESSAGE-----

webapp:
  database:
    password: *shop_password
