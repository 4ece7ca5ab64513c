motd: Welcome to good1, from pillar.
