#!/usr/bin/env bash
# Quickstart: from a fresh Debian machine (root, no container registry) to a healthy Plano gateway and one
# chat completion answered through it.
#
# What is real and what is not: the gateway runs in the OFFLINE TESTBED image (docker/testbed), whose Envoy 1.37
# and supervisord are real but whose wasm plugins and Brightstaff are stand-ins, and the "LLM provider" is the
# bundled mock (scripts/mock_provider.py) on this machine. Swap in `katanemo/plano` and a real provider key
# when you have registry and internet access (see README).
#
#   scripts/quickstart.sh          set everything up, start the gateway, send one chat completion
#   scripts/quickstart.sh --down   stop the gateway and the mock provider
set -euo pipefail
cd "$(dirname "$0")/.."

STATE=.quickstart
PROJECT=quickstart
MOCK_PORT=18080
export MOCK_PROVIDER_KEY="quickstart-key-not-a-secret"

say() { printf '\n==> %s\n' "$*"; }

stop_all() {
  if [ -x .venv/bin/planoai ]; then .venv/bin/planoai down --project-name "$PROJECT" || true; fi
  if [ -f "$STATE/mock.pid" ]; then kill "$(cat "$STATE/mock.pid")" 2>/dev/null || true; rm -f "$STATE/mock.pid"; fi
}

if [ "${1:-}" = "--down" ]; then
  stop_all
  exit 0
fi

say "Debian packages and the Docker engine (installed only when missing)"
bash scripts/start-dockerd.sh

say "planoai-cli in a virtualenv (.venv)"
# A fresh Debian may have no python3, or python3 without venv (Debian packages ensurepip in python3-venv).
if [ ! -x .venv/bin/python ] && ! python3 -c 'import ensurepip, venv' >/dev/null 2>&1; then
  as_root=(); [ "$(id -u)" -eq 0 ] || as_root=(sudo)
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    python3 python3-venv >/dev/null
fi
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e '.[dev]'

say "the offline testbed image planoai-testbed:latest (cached after the first build)"
PYTHON=.venv/bin/python bash docker/testbed/build.sh

say "the bundled mock provider on the Docker bridge (a stand-in for a real LLM provider)"
mkdir -p "$STATE"
if [ -f "$STATE/mock.pid" ] && kill -0 "$(cat "$STATE/mock.pid")" 2>/dev/null; then
  kill "$(cat "$STATE/mock.pid")"
fi
# The product's own lookup (IPAM gateway, else docker0's address, else host-gateway in a container): a fresh
# dockerd records no IPAM gateway, and an empty address must never make the mock listen on every interface.
bridge=$(.venv/bin/python -m planoai_cli.runtime.bridge --probe-image planoai-testbed:latest) || exit 1
rm -f "$STATE/mock.port"
nohup .venv/bin/python scripts/mock_provider.py --host "$bridge" --port "$MOCK_PORT" --key "$MOCK_PROVIDER_KEY" \
  --port-file "$STATE/mock.port" >"$STATE/mock.log" 2>&1 &
echo $! >"$STATE/mock.pid"
for _ in $(seq 1 100); do [ -s "$STATE/mock.port" ] && break; sleep 0.05; done
[ -s "$STATE/mock.port" ] || { cat "$STATE/mock.log" >&2; exit 1; }
echo "mock provider on $bridge:$MOCK_PORT (pid $(cat "$STATE/mock.pid"))"

say "planoai up (validate, render, start, wait for /healthz)"
.venv/bin/planoai up examples/quickstart/config.yaml --project-name "$PROJECT" \
  --image planoai-testbed:latest --pull never

say "one chat completion through the gateway (127.0.0.1:12000)"
.venv/bin/python - <<'PY'
import json
import urllib.request

body = json.dumps({"model": "mock-gpt", "messages": [{"role": "user", "content": "hello, Plano"}]}).encode()
request = urllib.request.Request("http://127.0.0.1:12000/v1/chat/completions", data=body, method="POST",
                                 headers={"Content-Type": "application/json"})
with urllib.request.urlopen(request, timeout=30) as response:
    answer = json.loads(response.read())
print("reply:", answer["choices"][0]["message"]["content"])
PY

cat <<EOF

The reply above came from the bundled MOCK provider, through the real Envoy listeners and clusters of the
OFFLINE TESTBED image (its wasm plugins and Brightstaff are stand-ins).

  .venv/bin/planoai status --project-name $PROJECT      health, uptime, config drift
  .venv/bin/planoai logs --project-name $PROJECT -f     logs by component
  scripts/quickstart.sh --down                           stop the gateway and the mock provider
EOF
