#!yaml|gpg
# dev: the shop's site, database sizing and credentials (the password GPG-encrypted
# once, used by postgres and the web application through a YAML alias).
nginx:
  site:
    server_name: shop.dev.example.test
    message: Hello from the dev environment, configured from pillar.

postgres:
  listen:
    interfaces: [lo, eth0]
  settings:
    shared_buffers: 128MB
    max_connections: 50
    work_mem: 4MB
  users:
    shop:
      password: &shop_password |
        -----BEGIN PGP MESSAGE-----

        hQGMA/INa1bVOFC4AQv+JMP4mDHCPySN1Egab4zs7xJ99JbAsXJErix6HJehPGX4
        9RYbBtih83SJVjeW96ZJD9G/FR4dLJR3rTWdoowCzwWmqcadVL0umvLlsqFfNrZS
        evFYfh6Op8e5Kye8gHHMhg+dc/86Ivv7ZnMn285QbGVP814nXOCcMI9z1xkhNHyX
        JnroVz+aYclVwQSJ/h7dIODTzbXs9LbfPBs0n7VQrBZtlLtpVYRZvPItGSHzsyp7
        vXYx9C3qjnYNLlcrZh3ZKJLfIsCg0GGkAngblTB05uBSJTI3B6xHnRuooqm5rtiA
        WZ6knvosmT0Ez4ZKMsMCVJQR6Urbz9ypg7Pg7aAXezQikUwnYwn3pLSpsVCbhrF0
        dklXCox2zGtHsoZiOdo67WgHNNugN4z16PKyDrThnJzu/V6z9p6NTsQXg7uNCDrQ
        vAzefUU1JDDkluLFh9J6rhFsx4DTsjyl9wHYOMWEqeZZ+ViGAhoHk8+SZBdgNl4r
        zOSJDOv+onkdm5O6mkkJ0lMBTy/fY5OnkTzoSqga1L25U4yR+PyTtAVV/XZe18Og
        0SwRWFk/wq3jMeF2Ua6iDiz+Hnt7oKDg3OcATfCL/USReb90LLh/Ri3o2n/ZxTjV
        qAYSQg==
        =9JSp
        -----END PGP MESSAGE-----

webapp:
  database:
    password: *shop_password
