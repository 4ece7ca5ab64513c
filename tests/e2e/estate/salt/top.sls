base:
  'roles:good':
    - match: grain
    - roles.good
  'roles:broken':
    - match: grain
    - roles.broken
  'roles:flappy':
    - match: grain
    - roles.flappy
  'roles:slow':
    - match: grain
    - roles.slow
