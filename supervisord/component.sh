#!/bin/sh
# Start one gateway component for supervisord: substitute secrets, then exec it with prefixed output.
#
# Substitution is restricted to the variable names the CLI recorded at render time (PLANO_ENVOY_VARS,
# PLANO_CONFIG_VARS, e.g. '$OPENAI_API_KEY $TEAM_ID'), so any other `$` text in the files is left alone.
# Output goes through a FIFO to a prefixing `sed`, and the component itself is exec'ed, so supervisord
# (and the stop-on-exit listener) see the component's own exit, not a pipeline's.
set -eu

component=$1
rendered=/etc/plano/rendered
run=/run/plano
mkdir -p "$run"
umask 077

substitute() {  # substitute SOURCE TARGET VARIABLES
  if [ -n "$3" ]; then
    envsubst "$3" <"$1" >"$2"
  else
    cp "$1" "$2"
  fi
}

envoy_level() {  # Envoy's own info level lists every extension at start; keep it for debug/trace only
  case "${LOG_LEVEL:-info}" in
    trace | debug) printf '%s' "$LOG_LEVEL" ;;
    *) printf 'warning' ;;
  esac
}

prefixed() {  # route this shell's stdout/stderr through `sed` adding "[NAME] " to each line
  fifo="$run/$1.log.fifo"
  rm -f "$fifo"
  mkfifo "$fifo"
  sed -u "s/^/[$1] /" <"$fifo" &
  exec >"$fifo" 2>&1
}

case "$component" in
  envoy)
    substitute "$rendered/envoy.yaml" "$run/envoy.yaml" "${PLANO_ENVOY_VARS:-}"
    prefixed envoy
    # Access logs are flushed every 250 ms (Envoy's default is 1 s) so `planoai logs -f` shows requests promptly.
    exec /usr/local/bin/envoy -c "$run/envoy.yaml" --disable-hot-restart --file-flush-interval-msec 250 \
      --log-level "$(envoy_level)" --log-format '[%Y-%m-%d %T.%e][%l] %v' --component-log-level "wasm:${LOG_LEVEL:-info}"
    ;;
  brightstaff)
    substitute "$rendered/plano_config_rendered.yaml" "$run/plano_config_rendered.yaml" "${PLANO_CONFIG_VARS:-}"
    export PLANO_CONFIG_PATH_RENDERED="$run/plano_config_rendered.yaml"
    export RUST_LOG="${LOG_LEVEL:-info}"
    prefixed brightstaff
    cd /app
    exec /app/brightstaff
    ;;
  access)
    # Envoy creates the access logs on its first write; -F follows them as they appear.
    prefixed access
    exec tail -q -n 0 -s 0.25 -F /var/log/access_ingress.log /var/log/access_ingress_prompt.log \
      /var/log/access_internal.log /var/log/access_llm.log /var/log/access_agent.log 2>/dev/null
    ;;
  *)
    echo "component.sh: unknown component '$component'" >&2
    exit 2
    ;;
esac
