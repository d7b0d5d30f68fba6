#!/bin/sh
# Container entrypoint: translates container-style settings (Kafka image
# conventions) into Samsa's SAMSA_* variables, fails early with a readable
# message when the data volume is not writable, then execs the broker so it is
# PID 1 and receives docker stop's SIGTERM directly.
set -eu

APP_DIR=$(CDPATH= cd -- "$(dirname -- "$0")/.." && pwd)

die() {
  echo "samsa: $*" >&2
  exit 1
}

# `docker run samsa --port 9093` means `start --port 9093`; any other command
# (sh, node, ...) runs as-is so the image can be debugged.
case "${1:-start}" in
  -*) set -- start "$@" ;;
esac
[ $# -eq 0 ] && set -- start
case "$1" in
  start | help | version) ;;
  *) exec "$@" ;;
esac

# Prints "host port" for PLAINTEXT://host:port, host:port or [v6]:port; an
# empty host means all interfaces, as in Kafka.
parse_listener() {
  name=$1
  value=$2
  case "$value" in
    *,*) die "$name=$value: Samsa serves a single PLAINTEXT listener" ;;
    PLAINTEXT://* | plaintext://*) value=${value#*://} ;;
    *://*) die "$name=$value: only PLAINTEXT listeners are supported" ;;
  esac
  port=${value##*:}
  host=${value%:*}
  case "$port" in
    '' | *[!0-9]*) die "$name=$2: expected PLAINTEXT://host:port" ;;
  esac
  [ "$host" = "$value" ] && die "$name=$2: expected PLAINTEXT://host:port"
  host=${host#\[}
  host=${host%\]}
  [ -n "$host" ] || host=0.0.0.0
  echo "$host $port"
}

listeners=${SAMSA_LISTENERS:-${KAFKA_LISTENERS:-}}
if [ -n "$listeners" ]; then
  set_from=$(parse_listener LISTENERS "$listeners") || exit 1
  SAMSA_HOST=${set_from% *}
  SAMSA_PORT=${set_from#* }
  export SAMSA_HOST SAMSA_PORT
fi

advertised_listeners=${SAMSA_ADVERTISED_LISTENERS:-${KAFKA_ADVERTISED_LISTENERS:-}}
adv_host=
if [ -n "$advertised_listeners" ]; then
  set_from=$(parse_listener ADVERTISED_LISTENERS "$advertised_listeners") || exit 1
  adv_host=${set_from% *}
  : "${SAMSA_ADVERTISED_PORT:=${set_from#* }}"
  export SAMSA_ADVERTISED_PORT
fi

# Clients outside the container reach it through a published port on the
# host, so "localhost" is the useful default, never the 0.0.0.0 bind address.
SAMSA_ADVERTISED_HOST=${SAMSA_ADVERTISED_HOST:-${KAFKA_ADVERTISED_HOST:-${KAFKA_ADVERTISED_HOST_NAME:-${adv_host:-localhost}}}}
export SAMSA_ADVERTISED_HOST

# Work out which data dir the broker will use (flags beat env) to check it.
data_dir=${SAMSA_DATA_DIR:-/var/lib/samsa}
memory=${SAMSA_MEMORY:-false}
prev=
for arg in "$@"; do
  case "$prev" in
    --data-dir) data_dir=$arg ;;
  esac
  case "$arg" in
    --data-dir=*) data_dir=${arg#--data-dir=} ;;
    --memory) memory=true ;;
    --no-memory) memory=false ;;
  esac
  prev=$arg
done

case "$memory" in
  [Tt][Rr][Uu][Ee] | 1 | [Yy][Ee][Ss] | [Oo][Nn]) memory=true ;;
esac

if [ "$1" = start ] && [ "$memory" != true ]; then
  mkdir -p "$data_dir" 2>/dev/null || true
  probe="$data_dir/.samsa-write-test.$$"
  if ! { [ -d "$data_dir" ] && : > "$probe"; } 2>/dev/null; then
    die "data directory $data_dir is not writable by uid $(id -u) ($(id -un 2>/dev/null || echo '?')).
  A bind-mounted host directory must be writable by that uid, e.g. 'sudo chown -R $(id -u):$(id -g) <host dir>',
  or use a named volume (-v samsa-data:/var/lib/samsa), or run without persistence (SAMSA_MEMORY=true)."
  fi
  rm -f "$probe"
fi

# The same Node flags as bin/samsa.js's first line (see there why).
exec node --max-semi-space-size=4 "$APP_DIR/bin/samsa.js" "$@"
