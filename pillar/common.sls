# Every minion, every environment. Each environment's common.sls picks who is an
# admin there (admins:present); everyone else listed here has no account.
admins:
  people:
    alice:
      uid: 2001
      fullname: Alice Ops
      ssh_keys:
        - ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDmJXm9DnuLO6TMUFx4PYLjLFZXK58aaQFyqPJYOm2xo alice@example.test
    bob:
      uid: 2002
      fullname: Bob Ops
      ssh_keys:
        - ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDihmIly5f9ibxm8sBrixpnY9icD66o8yBC3im3emN5B bob@example.test
    carol:
      uid: 2003
      fullname: Carol Dev
      ssh_keys:
        - ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBOBXKzcQisWaW+naCnBtFv24+QmyHYkVcwc/oze8wyL carol@example.test

localization:
  timezone: Etc/UTC
  lang: en_US.UTF-8
  locales: [en_US.UTF-8]

chrony:
  pools: [2.debian.pool.ntp.org]

node_exporter:
  listen_address: ":9100"
  collectors_disabled: [infiniband, nfs, nfsd, wifi, zfs]
