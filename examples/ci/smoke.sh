#!/usr/bin/env bash
# CI smoke test for a Plano gateway: start it, wait until healthy, send one chat completion, always stop it.
#
# Run it from the folder holding your config (or set PLANOAI_CONFIG). Every setting has a default for real use
# and can be changed through the environment:
#
#   PLANOAI_CONFIG      config file                                  (default: config.yaml)
#   PLANOAI_PROJECT     project name, labels the container           (default: smoke)
#   PLANOAI_IMAGE       gateway image                                (default: planoai's own, katanemo/plano:<pinned>)
#   PLANOAI_PULL        pull policy: missing, always or never        (default: missing)
#   PLANOAI_ADMIN_PORT  host port of the Envoy admin interface       (default: 19901)
#   PLANOAI_TIMEOUT     seconds to wait for every listener's /healthz (default: 120)
#   PLANOAI             the planoai command                          (default: planoai)
#   REQUEST_MODEL       model named in the chat completion           (default: gpt-4o)
#   REQUEST_TEXT        the user message                             (default: Say hello.)
#
# Offline, with the testbed image and a mock provider (see the README):
#   PLANOAI_IMAGE=planoai-testbed:latest PLANOAI_PULL=never examples/ci/smoke.sh
#
# Exit status: 0 when the completion came back; otherwise the failing command's status (planoai's exit codes,
# e.g. 5 missing keys, 10 not healthy in time; curl's 22 for an HTTP error from the gateway).
set -euo pipefail

config=${PLANOAI_CONFIG:-config.yaml}
project=${PLANOAI_PROJECT:-smoke}
planoai=${PLANOAI:-planoai}
model=${REQUEST_MODEL:-gpt-4o}
text=${REQUEST_TEXT:-Say hello.}

stop() {
  status=$?
  "$planoai" down "$config" --project-name "$project" || true
  exit "$status"
}
trap stop EXIT

up_args=(up "$config" --project-name "$project" --pull "${PLANOAI_PULL:-missing}"
         --admin-port "${PLANOAI_ADMIN_PORT:-19901}")
if [ -n "${PLANOAI_IMAGE:-}" ]; then up_args+=(--image "$PLANOAI_IMAGE"); fi
"$planoai" "${up_args[@]}"

endpoints=$("$planoai" wait "$config" --project-name "$project" --timeout "${PLANOAI_TIMEOUT:-120}" --json)
# The first model listener's URL, read from wait's JSON with the Python that runs planoai anyway.
url=$(printf '%s' "$endpoints" | python3 -c '
import json, sys
found = [e["url"] for e in json.load(sys.stdin)["endpoints"] if e["type"] == "model"]
print(found[0] if found else "")')
if [ -z "$url" ]; then
  echo "smoke: the gateway has no model listener to send a chat completion to" >&2
  exit 1
fi

body=$(python3 -c 'import json, sys; print(json.dumps({"model": sys.argv[1],
  "messages": [{"role": "user", "content": sys.argv[2]}]}))' "$model" "$text")
echo "smoke: POST $url/v1/chat/completions (model $model)"
reply=$(curl --silent --show-error --fail-with-body --max-time 60 -H 'Content-Type: application/json' \
  --data "$body" "$url/v1/chat/completions")
printf '%s' "$reply" | python3 -c '
import json, sys
answer = json.load(sys.stdin)
print("smoke: reply:", answer["choices"][0]["message"]["content"])'
