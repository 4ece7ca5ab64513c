# dev: every admin, and the developers too.
admins:
  present: [alice, bob, carol]
