slow-sleep-cmd-run:
  cmd.run:
    - name: sleep 120
