# shellcheck shell=sh
# candidate_start.sh PORT LIFETIME PROGRAM TOKEN: (re)start the candidate master in the
# background, under `timeout LIFETIME`: its configuration derived from the live master's
# by Salt's own loader (PROGRAM: salt_config.py, run by the Salt installation's Python),
# its cache seeded with the live master's minion data and modules, then the release's
# modules synced into its own copy. It alone serves salt://saltline-candidate/token,
# TOKEN: what each minion's dry run reads back, to prove which master answered it.
# Needs salt_python.sh, candidate.sh, master_modules.sh.
set -e
home="$CANDIDATE_HOME"; port="$1"; lifetime="$2"; program="$3"; token="$4"
stop_candidate "$home"  # a killed candidate's, maybe, and what it was given
umask 077
mkdir -p "$home/etc" "$home/cache" "$home/sock" "$home/marker/saltline-candidate"
chmod 700 "$home"
printf '%s\n' "$token" > "$home/marker/saltline-candidate/token"
python=$(salt_python salt-master) || exit "$EXIT_NO_SALT_PYTHON"
# shellcheck disable=SC2086  # an interpreter with its argument: /usr/bin/env python3
$python -c "$program" master /etc/salt/master "$home" "$port" "$CURRENT" "$CANDIDATE" \
  || exit "$EXIT_CONFIG_FAILED"
sync_candidate_modules "$home/etc" || exit "$EXIT_MODULE_SYNC_FAILED"
nohup setsid timeout "$lifetime" salt-master -c "$home/etc" >"$home/out.log" 2>&1 </dev/null &
echo $! > "$home/group"  # setsid made it a session and process group leader
