# staging: the operations team only.
admins:
  present: [alice, bob]
