# shellcheck shell=sh
# salt_python PROGRAM: the Python that Salt's PROGRAM (salt-master, salt-call) runs on, so
# that Salt's own loader reads Salt's configuration: its shebang's interpreter, onedir's,
# or python3, the first that imports salt.config.
salt_python() {
  shebang=""
  if program=$(command -v "$1"); then
    shebang=$(head -n 1 "$program" | sed -n 's/^#! *//p')
  fi
  for python in "$shebang" /opt/saltstack/salt/bin/python3 python3; do
    [ -n "$python" ] || continue
    # shellcheck disable=SC2086  # a shebang may carry an argument: /usr/bin/env python3
    if $python -c 'import salt.config' 2>/dev/null; then
      echo "$python"
      return 0
    fi
  done
  echo "no Python that imports Salt found beside $1 (its shebang, onedir, python3)" >&2
  return 1
}
