# Pillar by environment, then by minion (role grain). Each minion's pillarenv, set
# from saltline.yml (test minions) or the master (the fleet), picks its section;
# later files override earlier ones. Data only: logic belongs in salt/.
dev:
  'roles:common':
    - match: grain
    - common
    - ca
    - environments.dev.common
  'roles:web':
    - match: grain
    - shop
    - environments.dev.shop
    - environments.dev.tls
  'roles:db':
    - match: grain
    - shop
    - environments.dev.shop
staging:
  'roles:common':
    - match: grain
    - common
    - ca
    - environments.staging.common
  'roles:web':
    - match: grain
    - shop
    - environments.staging.shop
    - environments.staging.tls
  'roles:db':
    - match: grain
    - shop
    - environments.staging.shop
prod:
  'roles:common':
    - match: grain
    - common
    - ca
    - environments.prod.common
  'roles:web':
    - match: grain
    - shop
    - environments.prod.shop
    - environments.prod.tls
  'roles:db':
    - match: grain
    - shop
    - environments.prod.shop
