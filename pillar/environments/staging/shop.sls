#!yaml|gpg
# staging: the shop's site, database sizing and credentials (the password GPG-encrypted
# once, used by postgres and the web application through a YAML alias).
nginx:
  site:
    server_name: shop.staging.example.test
    message: Hello from the staging environment, configured from pillar.

postgres:
  listen:
    interfaces: [lo, eth0]
  settings:
    shared_buffers: 256MB
    max_connections: 100
    work_mem: 8MB
  users:
    shop:
      password: &shop_password |
        -----BEGIN PGP MESSAGE-----

        hQGMA/INa1bVOFC4AQwArXvoR8q2IVZnNIExdXlLgnj84DpLm8K9eQCcJW9HKT2J
        wxZ4XkY3lE6ZPK9jYUX5azxa79PfyRuGtR2J5OZa7gMbTFlMeU+P8/v2ksS1CDg9
        yALOLQpFjR/sP76UsYJ2uW94Z4Vz7f5FmFQCIBfW27XxwiF1/4ZQiBsw7H0HqJXP
        /RwVWLd3LGVPXAqkBr+8+5Iy+J8hm00iydkBedNN3G92vz6V8uKcdPLMcvrKBEPz
        ISdaRCvsTiIkQ+Pap9QbS/NnHWtUIlxYFr1loYHevVkZvSGYbILrdfitfJ07bXcz
        AS+VKyHpcdJgNuQT4oQS3W1Yy00EgW5RI4CEdkhSkZ3b4kmgdu4pEHjIPXDm2VQe
        xdfNGVo8Mj7vMAqzsqblPXwAcuGZho6mUlPR9wRcPmpl2Wc6l8OMcOfltRTPWjhX
        u88yU7FkGKde+XClr/M8NAP5LYKSBUi6OIFfNlpUN103W25OgQ2B0q3+RK386ybh
        +TEGoELrNQJfzr1GCPds0lMBg/U44yWm+zUeRP96GTzWBj87Qe3Zf67EBqx+6c45
        5rjdSfz5I37esEHpKwAjmvEObYleidQuaIaLxztMPgIU+OV7cmA7XqWs29cfDzUX
        ynMVyg==
        =1Lga
        -----END PGP MESSAGE-----

webapp:
  database:
    password: *shop_password
