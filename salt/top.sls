# One place maps minions to roles: the `roles` grain, set per minion in saltline.yml
# (and on real minions in /etc/salt/grains).
base:
  'roles:web':
    - match: grain
    - roles.web
