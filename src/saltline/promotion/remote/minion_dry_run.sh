# shellcheck shell=sh
# minion_dry_run.sh PORT PROGRAM_BASE64 TOKEN: on a minion (the master's cmd.run_all
# runs it), state.apply test=True against the candidate master on PORT, through a copy
# of the minion's configuration that Salt's own loader derives (salt_config.py): the
# live one with the candidate as master (a `master: host:port` loses its port), and a
# cache and extension modules of its own. First it reads back the candidate's marker,
# TOKEN: a master that does not serve it is not the candidate (EXIT_NOT_CANDIDATE). The
# copy (0600, in a 0700 directory) is removed whatever happens. Its sock_dir stays the
# live one: with one of its own, salt-call spends 2 CPU-s more. Needs salt_python.sh.
port="$1"; token="$3"
program=$(echo "$2" | base64 -d) || exit 70
python=$(salt_python salt-call) || exit "$EXIT_NO_SALT_PYTHON"
copy=$(mktemp -d /tmp/saltline-dry-run.XXXXXX) || exit 70
trap 'rm -rf "$copy"' EXIT
# shellcheck disable=SC2086  # an interpreter with its argument: /usr/bin/env python3
$python -c "$program" minion /etc/salt/minion "$copy" "$port" || exit "$EXIT_CONFIG_FAILED"
served=$(salt-call -c "$copy" --out=newline_values_only --log-level=quiet \
  cp.get_file_str salt://saltline-candidate/token) || served=""
if [ "$served" != "$token" ]; then
  echo "its dry run reached a master that is not the candidate (the candidate's marker" \
    "read back as '${served:-nothing}')" >&2
  exit "$EXIT_NOT_CANDIDATE"
fi
salt-call -c "$copy" --out=json --log-level=quiet --retcode-passthrough state.apply test=True
