"""The candidate master: a dry run of a release that nothing live can see.

A dry run must change nothing that a minion or a salt command sees, so the live
master keeps serving `current` throughout. Beside it, on the same host, saltline
starts a second salt-master process, the candidate master: the live master's own
configuration (so the same environment names, renderers, GPG keys and accepted
minion keys), less what a master does on its own and the stores it shares with others
(`LEFT_OUT`: reactor, engines, schedule, returners, a shared minion data cache; also
from the files an `include:` names, copied in), with every path under `current/`
pointed at `candidate/`, on its own ports, cache and socket directories. Its cache
starts with a copy of the live master's minion data (so that `mine.get` in the
release's templates sees the live mine) and of its custom modules, synced from the
candidate (`master_modules`), and its grains are cached there (each of its processes
would compute the host's grains again). Each minion then runs
`salt-call state.apply test=True` against it, through a temporary copy of its own
configuration (includes copied in) with `master_port` changed and a cache and extension
modules of its own, removed afterwards. What the candidate and the minion's copy set
themselves is taken out of every copied file, so no live file can set it back.

The candidate master runs under `timeout`, so a promotion killed before it stops
the process leaves nothing running for long; the next dry run replaces it.

A real master needs saltline's settings in `master.d/saltline.conf` (README:
Promotion) and minions able to reach `promotion.candidate_port` on the master.
"""

from __future__ import annotations

import base64
import time

from saltline import process
from saltline.errors import SaltlineError
from saltline.promotion import master_modules
from saltline.promotion.release import CANDIDATE, CURRENT, RELEASE_ROOT
from saltline.promotion.transport import Transport

HOME = f"{RELEASE_ROOT}/candidate-master"
DROP_IN = "saltline.conf"  # master.d/saltline.conf: where saltline's roots are configured
START_TIMEOUT = 60

# Stops the candidate master (of this dry run, or a killed one's): every process of it,
# found by its configuration directory in the command line (the master, its workers that
# hold its ports, and `timeout` above them), and its process group, recorded at start; a
# recycled group id that holds no candidate master of this home is left alone. Killed
# again until none is left: a worker forked while the first kill ran survives it.
_STOP_FUNCTION = """
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
  rm -f "$1/group"
}
"""
# Left out of the candidate's copy of the live configuration, each top-level key with its
# block (Salt merges lists and dicts across master.d files, so an override could not empty
# them). What a master does on its own: a candidate must not react to its dry run's events,
# run the live schedule or engines, send events, jobs, metrics or traces where the live
# master sends them, or join the live master cluster. And where it keeps minion data and
# pillar: a shared store (consul, redis, …) is the live master's, and a dry run would put
# the release's pillar there, where the live master targets by it. So the candidate keeps
# Salt's default, files in its own cache, seeded with a copy of the live master's minion
# data (grains, pillar, mine: what the release's templates read through `mine.get`) when
# the live master keeps that in files too; from a shared store it starts empty. And
# `include`: the files it names are copied into the candidate's master.d (see INCLUDES).
LEFT_OUT = (
    "reactor", "engines", "schedule", "event_return", "ext_job_cache", "master_job_cache",
    "metrics", "tracing", "cluster_id", "cluster_peers", "cluster_pki_dir",
    "cache", "pillar.cache_driver", "eauth_tokens.cache_driver", "include",
)  # fmt: skip
# What the candidate sets itself (zz-saltline-candidate.conf): left out of every copied
# file too, so that no live file, whatever its name sorts after, puts the candidate on the
# live master's ports, sockets, cache, pid or log file.
CANDIDATE_OWN = (
    "ret_port", "publish_port", "cachedir", "sock_dir", "pidfile", "pki_dir", "log_file",
    "grains_cache", "extension_modules",
)  # fmt: skip
# What the dry run's copy of a minion's configuration sets itself, and `include` and
# `default_include` (the files they name are copied in): see DRY_RUN_CONFIG_FUNCTION
DRY_RUN_OWN = (
    "master_port", "cachedir", "extension_modules", "pki_dir", "include", "default_include",
)  # fmt: skip


def without_keys(keys: tuple[str, ...]) -> str:
    """awk: a configuration file without these top-level keys and their blocks (the lines
    after a key that are indented or, a sequence's items, start with `-`)."""
    alternatives = "|".join(key.replace(".", "\\.") for key in keys)
    key = f'^["\\047]?({alternatives})["\\047]?[[:space:]]*:'
    return f"/^[^[:space:]#-]/ {{ skip = ($0 ~ /{key}/) }} !skip"


WITHOUT_LEFT_OUT = without_keys(LEFT_OUT + CANDIDATE_OWN)
# awk: a YAML scalar as written after a key or dash, without comment, blanks and quotes
_UNQUOTED = r"""function unquoted(v) {
  sub(/[[:space:]]+#.*$/, "", v); gsub(/^[[:space:]]+|[[:space:]]+$/, "", v)
  gsub(/^["\047]|["\047]$/, "", v); return v
}"""
# awk: what a configuration file's top-level `include:` names (a path or glob, or a list of
# them, block or flow style), one per line (see COPY_INCLUDES_FUNCTION).
INCLUDES = (
    _UNQUOTED
    + r"""
/^[^[:space:]#-]/ {
  inside = ($0 ~ /^["\047]?include["\047]?[[:space:]]*:/)
  if (inside) {
    value = $0; sub(/^[^:]*:/, "", value); value = unquoted(value)
    gsub(/[][]/, "", value); count = split(value, paths, ",")
    for (i = 1; i <= count; i++) if (unquoted(paths[i]) != "") print unquoted(paths[i])
  }
  next
}
inside && /^[[:space:]]*-/ {
  sub(/^[[:space:]]*-/, ""); if (unquoted($0) != "") print unquoted($0)
}"""
)
# awk: the value that files give a top-level key (-v key=…): the last one read, unquoted
SETTING = (
    _UNQUOTED
    + r"""
$0 ~ "^[\"\047]?" key "[\"\047]?[[:space:]]*:" { value = $0; sub(/^[^:]*:/, "", value) }
END { print unquoted(value) }"""
)
# sh: copy_includes FILE DIR NAME: the files FILE's `include:` names (relative to FILE's
# directory, globs in sorted order) copied into DIR as NAME+001.conf, NAME+002.conf, …,
# and what each of those includes in turn as NAME+001.conf+001.conf, and so on, each
# file once (DIR/.included lists them, so an include cycle ends; removed before the next
# FILE, which reads a file both include again, as Salt does). NAME is FILE's own copy
# in DIR, so the copies sort right after it and before the next file: the candidate
# reads them in Salt's order (a master.d file, its includes, the next master.d file; the
# master file's includes last, as `zz-master+…`). Salt merges an included file over the
# file that includes it key by key, the candidate merges it deep, as it merges master.d
# files: a difference only where both set one dictionary. Needs $includes (INCLUDES).
COPY_INCLUDES_FUNCTION = """
copy_includes() {
  awk "$includes" "$1" | while IFS= read -r pattern; do
    case "$pattern" in /*) ;; *) pattern="${1%/*}/$pattern" ;; esac
    for included in $pattern; do  # a glob, as Salt's include takes
      [ -f "$included" ] || continue
      grep -qxF "$included" "$2/.included" 2>/dev/null && continue
      echo "$included" >> "$2/.included"
      copy="$3+$(printf %03d "$(($(wc -l < "$2/.included")))").conf"
      cp "$included" "$2/$copy"
      copy_includes "$included" "$2" "$copy"
    done
  done
}
# copy_all_includes DIR MAIN [DROP_IN…]: the includes of each drop-in file (master.d,
# minion.d), then the main file's, as `zz-master+…` (`zz-minion+…`)
copy_all_includes() {
  dir="$1"; main="$2"; shift 2
  for file in "$@" "$main"; do
    name="${file##*/}"; [ "$file" != "$main" ] || name="zz-$name"
    [ ! -f "$file" ] || copy_includes "$file" "$dir" "$name"
    rm -f "$dir/.included"
  done
}
"""
_FILTER_FUNCTION = """
# filter_files AWK FILE…: each FILE that exists through the awk program AWK, in place
filter_files() {
  program="$1"; shift
  for filtered in "$@"; do
    [ -f "$filtered" ] || continue
    awk "$program" "$filtered" > "$filtered.saltline" && mv "$filtered.saltline" "$filtered"
  done
}
"""
_START = (
    _STOP_FUNCTION
    + COPY_INCLUDES_FUNCTION
    + _FILTER_FUNCTION
    + master_modules.CANDIDATE_SYNC_FUNCTION
    + f"""
set -e
home={HOME}; port="$1"; lifetime="$2"; without_left_out="$3"; setting="$4"; includes="$5"
stop_candidate "$home"
rm -rf "$home/etc" "$home/cache"  # a killed candidate's, maybe
mkdir -p "$home/etc/master.d" "$home/cache" "$home/sock"
cp /etc/salt/master "$home/etc/master" 2>/dev/null || : > "$home/etc/master"
cp /etc/salt/master.d/*.conf "$home/etc/master.d/" 2>/dev/null || :
[ -f "$home/etc/master.d/{DROP_IN}" ] || {{ echo "no /etc/salt/master.d/{DROP_IN}" >&2; exit 4; }}
sed -i "s#{CURRENT}/#{CANDIDATE}/#g" "$home/etc/master.d/{DROP_IN}"
copy_all_includes "$home/etc/master.d" /etc/salt/master /etc/salt/master.d/*.conf
set -- "$home/etc/master" "$home/etc/master.d/"*.conf  # in the order Salt reads them
live_cache=$(awk -v key=cachedir "$setting" "$@")
live_driver=$(awk -v key=cache "$setting" "$@")
live_extmods=$(awk -v key=extension_modules "$setting" "$@")
live_pki=$(awk -v key=pki_dir "$setting" "$@")
filter_files "$without_left_out" "$@"  # see LEFT_OUT and CANDIDATE_OWN
cat > "$home/etc/master.d/zz-saltline-candidate.conf" <<EOF
ret_port: $port
publish_port: $((port - 1))
cachedir: $home/cache
sock_dir: $home/sock
pidfile: $home/salt-master.pid
pki_dir: ${{live_pki:-/etc/salt/pki/master}}
log_file: $home/master.log
grains_cache: true
extension_modules: $home/cache/extmods
EOF
live_cache="${{live_cache:-/var/cache/salt/master}}"
if [ "${{live_driver:-localfs}}" = localfs ] && [ -d "$live_cache/minions" ]; then
  cp -a "$live_cache/minions" "$home/cache/minions"
fi
live_extmods="${{live_extmods:-$live_cache/extmods}}"
[ ! -d "$live_extmods" ] || cp -a "$live_extmods" "$home/cache/extmods"
sync_candidate_modules "$home/etc" || exit {master_modules.FAILED}
nohup setsid timeout "$lifetime" salt-master -c "$home/etc" >"$home/out.log" 2>&1 </dev/null &
echo $! > "$home/group"  # setsid made it a session and process group leader
"""
)
_STOP = (
    _STOP_FUNCTION
    + f"""
home={HOME}
stop_candidate "$home"
rm -rf "$home/cache" "$home/sock"
"""
)
_LISTENING = (  # bash for /dev/tcp: no ss or netstat needed on the master
    'test -f "$1/salt-master.pid" && kill -0 "$(cat "$1/salt-master.pid")" 2>/dev/null && '
    'timeout 2 bash -c ">/dev/tcp/127.0.0.1/$2" 2>/dev/null'
)


def _shell_variable(name: str, value: str) -> str:
    return f"{name}=$(cat <<'SALTLINE_END'\n{value}\nSALTLINE_END\n)\n"


# sh: dry_run_config LIVE DIR PORT: LIVE's minion configuration copied into DIR for a dry
# run against the candidate master on PORT: with the files its `include:`s name (as the
# candidate copies a master's), the candidate's port, a cache and extension modules of its
# own (a highstate syncs the release's _modules, _states, … into extension_modules, which
# is otherwise the live minion's, outside its cachedir), and the live pki_dir. What it sets
# itself (DRY_RUN_OWN) is left out of every copied file, so that no live file overrides
# it, whatever its name. Its sock_dir stays the live one: with one of its own, salt-call
# spends 2 CPU-s more.
DRY_RUN_CONFIG_FUNCTION = (
    COPY_INCLUDES_FUNCTION
    + _FILTER_FUNCTION
    + _shell_variable("includes", INCLUDES)
    + _shell_variable("setting", SETTING)
    + _shell_variable("without_own", without_keys(DRY_RUN_OWN))
    + """
dry_run_config() {
  live="$1"; copy_dir="$2"; port="$3"  # sh: no locals, names of its own
  cp -r "$live/." "$copy_dir"/ 2>/dev/null; rm -rf "$copy_dir/pki" "$copy_dir/minion.d"
  [ -f "$copy_dir/minion" ] || : > "$copy_dir/minion"
  # the drop-in files the live minion reads (its main file's default_include, relative to
  # it), copied into the copy's minion.d, which is where the copy reads its own
  drop_ins=$(awk -v key=default_include "$setting" "$copy_dir/minion")
  drop_ins="${drop_ins:-minion.d/*.conf}"
  case "$drop_ins" in /*) ;; *) drop_ins="$live/$drop_ins" ;; esac
  mkdir -p "$copy_dir/minion.d"
  for drop_in in $drop_ins; do [ ! -f "$drop_in" ] || cp "$drop_in" "$copy_dir/minion.d/"; done
  copy_all_includes "$copy_dir/minion.d" "$live/minion" $drop_ins
  set -- "$copy_dir/minion" "$copy_dir"/minion.d/*.conf  # in the order Salt reads them
  pki=$(awk -v key=pki_dir "$setting" "$@")
  filter_files "$without_own" "$@"
  printf '%s: %s\\n' master_port "$port" cachedir "$copy_dir/cache" \\
    extension_modules "$copy_dir/cache/extmods" pki_dir "${pki:-$live/pki/minion}" \\
    > "$copy_dir/minion.d/zz-saltline-dry-run.conf"
}
"""
)
# Run on each minion (`sh -s PORT`): the dry run's configuration (above), removed whatever
# happens.
_MINION_DRY_RUN = (
    DRY_RUN_CONFIG_FUNCTION
    + """
d=$(mktemp -d /tmp/saltline-dry-run.XXXXXX) || exit 70
trap 'rm -rf "$d"' EXIT
dry_run_config /etc/salt "$d" "$1"
salt-call -c "$d" --out=json --log-level=quiet --retcode-passthrough state.apply test=True
"""
)


def start(master: Transport, port: int, lifetime: int) -> None:
    """Start (or restart) the candidate master in the background; `wait_until_listening`
    waits for it (so that the masters of an environment start side by side)."""
    programs = [WITHOUT_LEFT_OUT, SETTING, INCLUDES]
    done = master.run(["sh", "-c", _START, "saltline", str(port), str(lifetime), *programs])
    if done.exit_code == 4:
        raise SaltlineError(
            f"master {master.address}: /etc/salt/master.d/{DROP_IN} is missing; saltline's "
            "roots must be configured there (README: Promotion, a real master)"
        )
    if done.exit_code == master_modules.FAILED:
        raise SaltlineError(
            f"master {master.address}: could not sync the release's custom modules into the "
            f"candidate master: {process.tail(done.stderr or done.stdout, 3)}"
        )
    if done.exit_code != 0:
        raise SaltlineError(
            f"master {master.address}: could not start the candidate master: "
            f"{(done.stderr or done.stdout).strip()[-300:]}"
        )


def wait_until_listening(master: Transport, port: int) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if master.run(["sh", "-c", _LISTENING, "saltline", HOME, str(port)]).exit_code == 0:
            return
        time.sleep(0.5)
    log = master.run(["tail", "-n", "5", f"{HOME}/master.log"]).stdout.strip()
    raise SaltlineError(
        f"master {master.address}: the candidate master did not listen on port {port} within "
        f"{START_TIMEOUT}s: {log or '(no log)'}"
    )


def stop(master: Transport) -> None:
    master.run(["sh", "-c", _STOP])


def minion_command(port: int) -> str:
    """The `cmd.run_all` argument that dry-runs a minion against the candidate master.

    Base64, because salt's command line would read `key=value` and YAML in the script.
    """
    encoded = base64.b64encode(_MINION_DRY_RUN.encode()).decode()
    return f"cmd=echo {encoded} | base64 -d | sh -s {port}"
