#!/usr/bin/env bash
# Install the Debian packages the test suite needs and pip cannot provide. Safe to run again:
# a package whose command is already on PATH is left alone, and apt-get runs only when something is missing.
#   wabt                  ->  wat2wasm, wasm-objdump   (tests rebuild envoy_templates/wasm/passthrough.wasm)
#   python3, python3-venv ->  `python3 -m venv .venv` (a fresh Debian has no python3, or python3 without venv)
#   e2fsprogs, util-linux ->  chattr, setpriv, mount   (the file-safety tests: an immutable folder, root without
#                             its permission override, small tmpfs mounts)
#   docker-compose        ->  docker-compose 1.29      (export compose runs for real; Debian has no compose v2
#                             plugin in bookworm; the tests use `docker compose` instead where that plugin exists)
set -euo pipefail

# "debian-package:command-it-provides" pairs; the command is what the tests actually look for.
REQUIRED=("wabt:wat2wasm" "e2fsprogs:chattr" "util-linux:setpriv" "mount:mount" "docker-compose:docker-compose")

missing=()
for pair in "${REQUIRED[@]}"; do
  package="${pair%%:*}" command="${pair#*:}"
  command -v "$command" >/dev/null 2>&1 || missing+=("$package")
done

# Debian ships ensurepip (which `python3 -m venv` needs) in python3-venv, not with python3 itself.
python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || missing+=(python3 python3-venv)

if [ "${#missing[@]}" -eq 0 ]; then
  echo "install-ci-deps: nothing to install"
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-ci-deps: missing ${missing[*]} and apt-get is not available; install them by hand" >&2
  exit 1
fi

# CI runners are not root but have password-less sudo; inside a container we usually are root.
as_root=()
if [ "$(id -u)" -ne 0 ]; then
  as_root=(sudo)
fi

echo "install-ci-deps: installing ${missing[*]}"
# Package lists on a fresh runner may be stale or absent, so refresh them before installing.
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
