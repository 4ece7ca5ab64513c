# shellcheck shell=bash
# candidate_listening.sh PORT (bash, for /dev/tcp: no ss or netstat needed on the master)
test -f "$CANDIDATE_HOME/salt-master.pid" \
  && kill -0 "$(cat "$CANDIDATE_HOME/salt-master.pid")" 2>/dev/null \
  && timeout 2 bash -c ">/dev/tcp/127.0.0.1/$1" 2>/dev/null
