#!/bin/sh
# supervisord event listener: when Envoy or Brightstaff exits (for any reason) or cannot start, stop
# supervisord so the container exits and `planoai up` / `status` see the failure at once.
# Protocol: print READY, read one header line and a payload of `len` bytes, answer RESULT 2 OK.
set -u

while :; do
  printf 'READY\n'
  read -r header || exit 0
  length=$(printf '%s\n' "$header" | sed -n 's/.*len:\([0-9]*\).*/\1/p')
  payload=$(head -c "${length:-0}")
  case "$payload" in
    *processname:envoy\ * | *processname:brightstaff\ *)
      name=$(printf '%s\n' "$payload" | sed -n 's/.*processname:\([a-z]*\) .*/\1/p')
      printf 'stop-on-exit: %s exited; stopping the gateway\n' "$name" >&2
      kill -TERM "$(cat /run/plano/supervisord.pid)" 2>/dev/null || true
      ;;
  esac
  printf 'RESULT 2\nOK'
done
