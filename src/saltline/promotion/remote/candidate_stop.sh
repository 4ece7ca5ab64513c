# shellcheck shell=sh
# candidate_stop.sh: stop the candidate master, remove its configuration. Needs candidate.sh.
stop_candidate "$CANDIDATE_HOME"
