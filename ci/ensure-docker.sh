#!/usr/bin/env bash
# Make sure a Docker engine answers. Used by make and .ci/run.
#   - an engine already answers (DOCKER_HOST or the local socket): nothing to do;
#   - root on Debian with none running: install docker.io (and debootstrap, to build
#     base images where no registry answers) if needed, start dockerd, wait for it;
#   - anywhere else: say what to do, exit 2.
set -euo pipefail

log=${SALTLINE_DOCKERD_LOG:-/var/log/saltline-dockerd.log}

answers() { timeout 5 docker info >/dev/null 2>&1; }

# Each systemd test minion takes about 8 inotify instances: at the kernel's default of
# 128 the 18th never boots. Raise it where this may (root on the host), never lower it;
# elsewhere saltline runs fewer containers at once (README: The matrix).
limit=/proc/sys/fs/inotify/max_user_instances
if [ "$(id -u)" -eq 0 ] && [ -w "$limit" ] && [ "$(cat "$limit")" -lt 1024 ]; then
  echo "ensure-docker: fs.inotify.max_user_instances $(cat "$limit") -> 1024"
  echo 1024 > "$limit" || :
fi

if command -v docker >/dev/null 2>&1 && answers; then
  exit 0
fi

if [ "$(id -u)" -ne 0 ] || [ ! -f /etc/debian_version ]; then
  cat >&2 <<'MSG'
saltline: no Docker engine answers.
  Start one (`sudo systemctl start docker`), or point DOCKER_HOST at one, and
  make sure your user may use it (`sudo usermod -aG docker $USER`).
  As root on Debian, this script installs and starts one by itself.
MSG
  exit 2
fi

missing=()
command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
if [ "${#missing[@]}" -gt 0 ]; then
  echo "ensure-docker: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null
  apt-get install -y -q "${missing[@]}" >/dev/null
fi

if ! pgrep -x dockerd >/dev/null 2>&1; then
  echo "ensure-docker: starting dockerd (log: $log)"
  # No systemd on the host: run it in the background, detached from this shell.
  setsid nohup dockerd >"$log" 2>&1 </dev/null &
fi

for _ in $(seq 1 60); do
  if answers; then
    exit 0
  fi
  sleep 1
done
echo "saltline: dockerd did not answer within 60s; see $log" >&2
tail -n 20 "$log" >&2 || true
exit 2
