good-motd-file-managed:
  file.managed:
    - name: /etc/motd
    - contents_pillar: motd

# A template's context is data: a salt:// URL there (an example user's key file, as
# formulas' _mapdata states pass the whole map) is not fetched, so it needs no file.
good-mapdata-file-managed:
  file.managed:
    - name: /etc/good-mapdata.yaml
    - source: salt://roles/files/mapdata.yaml.jinja
    - template: jinja
    - context:
        mapdata:
          user_key: salt://users/files/alice.pub
