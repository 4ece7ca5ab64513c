# Pillar by environment, then by minion (role grain). Each minion's pillarenv,
# set from saltline.yml, picks its section; later files override earlier ones.
dev:
  'roles:web':
    - match: grain
    - web
    - environments.dev.web
staging:
  'roles:web':
    - match: grain
    - web
    - environments.staging.web
prod:
  'roles:web':
    - match: grain
    - web
    - environments.prod.web
