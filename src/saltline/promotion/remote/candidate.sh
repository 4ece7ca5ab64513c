# shellcheck shell=sh
# stop_candidate HOME: stops the candidate master (of this dry run, or a killed one's):
# every process of it, found by its configuration directory in the command line (the
# master, its workers that hold its ports, and `timeout` above them), and its process
# group, recorded at start; a recycled group id that holds no candidate master of this
# home is left alone. Killed again until none is left: a worker forked while the first
# kill ran survives it. Then what it was given is removed: the copied configuration
# (0600, in a 0700 home) must not outlive it.
stop_candidate() {
  group=$(cat "$1/group" 2>/dev/null) || group=""
  for _ in $(seq 100); do
    if [ -n "$group" ] && pgrep -g "$group" -f "$1/etc" >/dev/null; then
      pkill -KILL -g "$group" || :
    fi
    pkill -KILL -f "$1/etc" || :  # nothing of it is worth a graceful stop
    pgrep -f "$1/etc" -r R,S,D >/dev/null 2>&1 || break
    sleep 0.1
  done
  rm -rf "${1:?}/group" "${1:?}/etc" "${1:?}/cache" "${1:?}/sock" "${1:?}/marker" \
    "${1:?}/salt-master.pid"
}
