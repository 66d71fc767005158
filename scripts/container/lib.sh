# shellcheck shell=bash
# Shared settings for the container scripts: one scratch folder, one engine socket.
# Sourced, never run. Everything a script leaves behind lives under $STATE_DIR
# (git-ignored) or the per-machine cache $CACHE_DIR.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
STATE_DIR="${PIPECAT_CONTAINER_DIR:-$ROOT/.container}"
CACHE_DIR="${PIPECAT_CONTAINER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pipecat-build-action}"
VENV="${PIPECAT_VENV:-$ROOT/.venv}"
PY="$VENV/bin/python"

# Debian's docker.io client matches the engine we start (20.10); another client
# earlier on PATH (e.g. /usr/local/bin/docker) would also work but is not guaranteed.
DOCKER="${DOCKER:-/usr/bin/docker}"
[ -x "$DOCKER" ] || DOCKER="$(command -v docker || echo docker)"

export DOCKER_HOST="${PIPECAT_DOCKER_HOST:-unix://$STATE_DIR/docker.sock}"

BASE_SUITE="${PIPECAT_BASE_SUITE:-bookworm}"
BASE_PACKAGES="python3,python3-pip,python3-venv,python-is-python3,ca-certificates"
# The tag changes whenever what goes into the base changes, so a stale cache is never used.
BASE_TAG="$(printf '%s|%s|%s' "$BASE_SUITE" "$BASE_PACKAGES" v1 | sha256sum | cut -c1-12)"
BASE_IMAGE="${PIPECAT_BASE_IMAGE:-local/debian-python:$BASE_SUITE-$BASE_TAG}"
ACTION_IMAGE="${PIPECAT_ACTION_IMAGE:-local/pipecat-build-action:dev}"
# gitlab-ci-local's helper containers (copying files in and out of jobs) need bash and rsync.
GCL_HELPER_IMAGE="${PIPECAT_GCL_HELPER_IMAGE:-local/gitlab-ci-local-helper:dev}"
GCL="$STATE_DIR/gitlab-ci-local/node_modules/.bin/gitlab-ci-local"
DIST_DIR="$STATE_DIR/dist"

log() { printf '[container] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# Run "$@" and log how long it took (seconds) under a label; keeps the exit status.
timed() {
    local label="$1" start end rc=0 secs
    shift
    start=$(date +%s%N)
    "$@" || rc=$?
    end=$(date +%s%N)
    secs=$(( (end - start) / 100000000 ))
    secs="$((secs / 10)).$((secs % 10))"
    log "$(printf 'time %-16s %6ss (exit %d)' "$label" "$secs" "$rc")"
    if [ -n "${TIMINGS_FILE:-}" ]; then
        printf '%s\t%s\t%d\n' "$label" "$secs" "$rc" >>"$TIMINGS_FILE"
    fi
    return "$rc"
}

engine_up() { "$DOCKER" version >/dev/null 2>&1; }

# The published base the Dockerfile names on its first FROM line (digest-pinned).
published_base() { sed -n 's/^FROM[[:space:]]\{1,\}\([^[:space:]]\{1,\}\).*/\1/p' "${1:-$ROOT/Dockerfile}" | head -1; }
