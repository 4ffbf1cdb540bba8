#!/usr/bin/env bash
# Get a running Docker engine on a machine without systemd, and the tools the testbed image build needs.
# Safe to run again: packages already installed are left alone, and a daemon that already answers is reused.
#   docker.io               -> dockerd, only when no engine answers and no dockerd is installed (Debian's 20.10
#                              is enough: any docker client, e.g. a newer /usr/local/bin/docker, negotiates its API)
#   mmdebstrap              -> builds the Debian rootfs of the testbed base image (docker/testbed/build.sh)
#   debian-archive-keyring  -> lets mmdebstrap verify the Debian mirror
# Environment: DOCKERD_LOG (default /var/log/dockerd.log), DOCKERD_PIDFILE (default /var/run/docker.pid),
#              DOCKERD_WAIT (seconds to wait for the daemon, default 60).
set -euo pipefail

LOG="${DOCKERD_LOG:-/var/log/dockerd.log}"
PIDFILE="${DOCKERD_PIDFILE:-/var/run/docker.pid}"
WAIT="${DOCKERD_WAIT:-60}"
TOOLS=(mmdebstrap debian-archive-keyring)

say() { echo "start-dockerd: $*"; }
die() { echo "start-dockerd: $*" >&2; exit 1; }

# CI runners may not be root but have password-less sudo; on this kind of machine we are root.
as_root=()
if [ "$(id -u)" -ne 0 ]; then
  as_root=(sudo)
fi

engine_answers() {
  # `docker info` exits non-zero while the socket is absent or the daemon is still starting.
  timeout 10 "${as_root[@]}" docker info >/dev/null 2>&1
}

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

install_missing() {
  local missing=() package
  # Any engine will do: a runner whose Docker comes from other packages (e.g. moby-engine) must not get
  # docker.io on top, which would conflict with them.
  if ! command -v dockerd >/dev/null 2>&1 && ! engine_answers; then
    missing+=(docker.io)
  fi
  for package in "${TOOLS[@]}"; do
    installed "$package" || missing+=("$package")
  done
  if [ "${#missing[@]}" -eq 0 ]; then
    say "nothing to install (dockerd, ${TOOLS[*]} present)"
    return
  fi
  command -v apt-get >/dev/null 2>&1 || die "missing ${missing[*]} and apt-get is not available; install them by hand"
  say "installing ${missing[*]}"
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  # Without --no-install-recommends docker.io drags in ~60 more packages (117 MB instead of 66 MB).
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

start_daemon() {
  command -v dockerd >/dev/null 2>&1 || die "dockerd not found after installing docker.io"
  say "starting dockerd (log: $LOG, pidfile: $PIDFILE)"
  # setsid: the daemon must outlive this script and the shell (job) that ran it. The redirection runs
  # inside the root shell, so the log may live where only root can write.
  # shellcheck disable=SC2016  # $1 and $2 belong to the inner shell
  "${as_root[@]}" sh -c 'exec setsid dockerd --pidfile "$1" >>"$2" 2>&1 </dev/null' sh "$PIDFILE" "$LOG" &
}

daemon_alive() {
  [ -s "$PIDFILE" ] && "${as_root[@]}" kill -0 "$(cat "$PIDFILE")" 2>/dev/null
}

wait_for_engine() {
  local deadline=$((SECONDS + WAIT))
  while [ "$SECONDS" -lt "$deadline" ]; do
    engine_answers && return 0
    # The pidfile appears a moment after launch; once it exists, a dead process means a failed start.
    if [ -s "$PIDFILE" ] && ! daemon_alive; then
      tail -n 30 "$LOG" >&2 || true
      die "dockerd exited during start-up (see $LOG)"
    fi
    sleep 0.5
  done
  tail -n 30 "$LOG" >&2 || true
  die "dockerd did not answer within ${WAIT}s (see $LOG)"
}

install_missing
if engine_answers; then
  say "engine already running"
elif daemon_alive; then
  # Started earlier (maybe by another run of this script) and still coming up: wait instead of starting twice.
  say "dockerd (pid $(cat "$PIDFILE")) is running but not answering yet; waiting"
  wait_for_engine
else
  # A pidfile left by a daemon that died would make the start-up check below think the new one failed.
  "${as_root[@]}" rm -f "$PIDFILE"
  start_daemon
  wait_for_engine
fi
say "server version $("${as_root[@]}" docker version --format '{{.Server.Version}}')"
