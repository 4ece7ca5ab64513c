include:
  - sshd.package
  - sshd.config
  - sshd.service
