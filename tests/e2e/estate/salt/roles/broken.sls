broken-marker-file-managed:
  file.managed:
    - name: /etc/broken-marker
    - contents: fine

broken-migrate-cmd-run:
  cmd.run:
    - name: echo 'migration 42 failed' >&2; exit 3
    - require:
      - file: broken-marker-file-managed
