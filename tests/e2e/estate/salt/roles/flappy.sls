flappy-stamp-cmd-run:
  cmd.run:
    - name: date +%s%N > /var/tmp/stamp

flappy-stamp-file-managed:
  file.managed:
    - name: /etc/flappy-stamp
    - contents: {{ salt["cmd.run"]("date +%s%N") }}

flappy-steady-file-managed:
  file.managed:
    - name: /etc/flappy-steady
    - contents: steady
