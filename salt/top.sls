# One place maps minions to roles: the `roles` grain, set per minion in saltline.yml
# (and on real minions in /etc/salt/grains). Each role is roles/<role>.sls.
base:
  'roles:common':
    - match: grain
    - roles.common
  'roles:web':
    - match: grain
    - roles.web
  'roles:db':
    - match: grain
    - roles.db
