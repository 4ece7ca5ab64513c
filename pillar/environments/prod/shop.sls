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

        hQGMA/INa1bVOFC4AQv+JfbW3GJ/wAfj5i7iCI3DmUVujYS6jmdON1fFDTXyIkrn
        DiuWllvYwEKcIhepIYuPtMAnSFRekhDtNpE7xbPbF4L2M0qDWExn/iof9dfW6LnP
        vNUJmNwZQiY4W81LjtbVWUKFuoJcZHzB35FTJf2/91Ztf4poQ6tum0RqO2UkQJ9a
        PX7ZbLsSCmgvqZ6BEdKYyhTYthAHjPyxge4PMDi88kkyjzHqlvBAZK8mfxb0OHkj
        +37VcnEPYDTiGJ0psp2ziubrSoB4mfHhzvfF0tJXrCuY1Mm/uyj7jCuoseQ6Wode
        tMGVdOuSe6P2Y+z30iFjN5BBV3/abmxWAvQtuk3PVQuVkzDF6MnXx+lmMPUVqnA5
        NFO4zZqOVBkDtH4wYcBf5nOQqBcWfnAmKd+I7JVlW592B8dAHKMhefuvTy48TfKx
        Cn0gJtoh5eeF/AQ8FF2zAvaKQRxtc2Fm5iFoXQhc8/1YFrCVKm0RP8pX/qvdoFFv
        7C/n/LVBn7jQfk9uDcNM0lMBIla37vLdEOLvEYOoB2FyIMIFDvBippQFGXCv2TGs
        gwnw8m5yD2AuyV1Rfkym14heInbUABD3nwy1QrvochogtfP2YR1/BsDoOjNEFg3c
        HfVrdg==
        =tPDK
        -----END PGP MESSAGE-----

webapp:
  database:
    password: *shop_password
