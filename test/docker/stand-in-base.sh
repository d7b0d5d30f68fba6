#!/usr/bin/env bash
# Builds a local stand-in for the official `node:24-bookworm-slim` image, for the image
# test (test/docker/image.test.ts) on machines that cannot pull from Docker Hub.
#
#   Debian bookworm (debootstrap --variant=minbase, from the mirror the host's apt uses)
#   + the Node 24 binary of the repo's `node` devDependency   -> /usr/local/bin/node
#   + npm (the host's npm, or NPM_DIR)                         -> /usr/local/lib/node_modules/npm
#   + user and group `node`, uid/gid 1000, home /home/node     (as in the official image)
#   + the host's CA bundle as NODE_EXTRA_CA_CERTS              (so `npm ci` in a build
#     trusts what the host's npm trusts, e.g. behind a TLS-inspecting proxy)
#
# imported with `podman import` as docker.io/library/node:24-bookworm-slim, so the
# Dockerfile's FROM line resolves with `podman build --pull=never`.
#
# Usage: test/docker/stand-in-base.sh [--force]
#   Does nothing if the tag already exists in the podman storage (unless --force).
#   The debootstrap result is cached in $SAMSA_STAND_IN_CACHE/bookworm-minbase.
#
# Environment:
#   SAMSA_STAND_IN_CACHE  cache dir (default /var/cache/samsa-stand-in)
#   PODMAN_GLOBAL_OPTS    options put before every podman command, e.g. the
#                         --root/--runroot/--storage-driver the test uses
#   NODE_BIN              node 24 binary (default: the repo's node_modules/node/bin/node)
#   NPM_DIR               an npm package directory (default: the host's npm)
#   DEBIAN_MIRROR         default: the host's apt source for bookworm, else deb.debian.org
# Needs root, debootstrap and podman.
set -euo pipefail
export PATH="$PATH:/usr/sbin:/sbin"
# A test runner's NODE_OPTIONS (--import hooks) must not follow node into the stand-in.
unset NODE_OPTIONS

TAG=docker.io/library/node:24-bookworm-slim
SUITE=bookworm
repo=$(cd -- "$(dirname -- "$0")/../.." && pwd)
cache=${SAMSA_STAND_IN_CACHE:-/var/cache/samsa-stand-in}
read -r -a podman_opts <<<"${PODMAN_GLOBAL_OPTS:-}"
pm() { podman "${podman_opts[@]}" "$@"; }
say() { echo "stand-in-base: $*" >&2; }

force=false
[ "${1:-}" = --force ] && force=true

# ---- Node 24 and npm from the host ----
node_bin=${NODE_BIN:-$repo/node_modules/node/bin/node}
[ -x "$node_bin" ] || { say "no node binary at $node_bin (npm ci first, or set NODE_BIN)"; exit 1; }
node_version=$("$node_bin" --version)
case "$node_version" in
  v24.*) ;;
  *) say "$node_bin is $node_version, not Node 24"; exit 1 ;;
esac

# One builder at a time (test runs in parallel share the cache and the storage).
mkdir -p "$cache"
exec 9>"$cache/.lock"
flock -w 600 9 || { say "timed out waiting for $cache/.lock"; exit 1; }

# Reuse the tag if it is the official image (no stand-in label) or a stand-in with this node.
if ! $force && pm image exists "$TAG"; then
  built_with=$(pm image inspect --format '{{index .Labels "org.samsa.stand-in.node"}}' "$TAG" 2>/dev/null || true)
  case "$built_with" in
    '' | '<no value>') say "$TAG already in podman storage (not a stand-in)"; exit 0 ;;
    "$node_version") say "$TAG already in podman storage (stand-in, node $node_version)"; exit 0 ;;
    *) say "$TAG is a stand-in with node $built_with: rebuilding with $node_version" ;;
  esac
fi

if [ -z "${NPM_DIR:-}" ]; then
  npm_cli=$(command -v npm) || { say "no npm on PATH (set NPM_DIR)"; exit 1; }
  NPM_DIR=$(cd -- "$(dirname -- "$(readlink -f "$npm_cli")")/.." && pwd)
  [ -f "$NPM_DIR/bin/npm-cli.js" ] || NPM_DIR=$(npm root -g)/npm
fi
[ -f "$NPM_DIR/bin/npm-cli.js" ] || { say "$NPM_DIR is not an npm package directory"; exit 1; }
ca_bundle=/etc/ssl/certs/ca-certificates.crt
[ -f "$ca_bundle" ] || { say "no CA bundle at $ca_bundle"; exit 1; }

# ---- the Debian mirror the host's apt uses ----
mirror_from_apt() {
  local f uri
  # deb822 sources: the URIs line of the stanza whose Suites include bookworm
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    uri=$(awk -v suite="$SUITE" '
      /^[[:space:]]*$/ { if (u != "" && s) { print u; exit } u = ""; s = 0; next }
      /^URIs:/ { u = $2 }
      /^Suites:/ { for (i = 2; i <= NF; i++) if ($i == suite) s = 1 }
      END { if (u != "" && s) print u }' "$f" | head -n1)
    [ -n "$uri" ] && { echo "$uri"; return; }
  done
  # one-line sources
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    uri=$(awk -v suite="$SUITE" '$1 == "deb" { i = 2; if ($2 ~ /^\[/) while ($i !~ /\]$/) i++; if ($2 ~ /^\[/) i++; if ($(i + 1) == suite) { print $i; exit } }' "$f")
    [ -n "$uri" ] && { echo "$uri"; return; }
  done
}
mirror=${DEBIAN_MIRROR:-$(mirror_from_apt)}
mirror=${mirror:-http://deb.debian.org/debian}

# ---- debootstrap, cached ----
base=$cache/$SUITE-minbase
mkdir -p "$cache"
if [ ! -f "$base/.samsa-complete" ]; then
  say "debootstrap --variant=minbase $SUITE from $mirror into $base"
  rm -rf "$base" "$base.partial"
  debootstrap --variant=minbase "$SUITE" "$base.partial" "$mirror" >"$cache/debootstrap.log" 2>&1 || {
    say "debootstrap failed; the end of $cache/debootstrap.log:"
    tail -n 20 "$cache/debootstrap.log" >&2
    exit 1
  }
  # what the slim image drops: apt lists and caches
  rm -rf "$base.partial"/var/lib/apt/lists/* "$base.partial"/var/cache/apt/*.bin "$base.partial"/var/cache/apt/archives/*.deb
  touch "$base.partial/.samsa-complete"
  mv "$base.partial" "$base"
else
  say "reusing $base"
fi

# ---- assemble the rootfs and import it ----
work=$(mktemp -d "$cache/assemble.XXXXXX")
trap 'rm -rf "$work"' EXIT
root=$work/rootfs
cp -a "$base" "$root"
rm -f "$root/.samsa-complete"

install -m 0755 "$node_bin" "$root/usr/local/bin/node"
mkdir -p "$root/usr/local/lib/node_modules"
cp -a "$NPM_DIR" "$root/usr/local/lib/node_modules/npm"
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"
mkdir -p "$root/usr/local/share/samsa-stand-in"
cp "$ca_bundle" "$root/usr/local/share/samsa-stand-in/ca-certificates.crt"

# A clean environment: the caller's NODE_OPTIONS (e.g. a test runner's --import hooks)
# or npm_config_* must not leak into the stand-in.
chroot_bin=$(command -v chroot)
in_root() { env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root "$chroot_bin" "$root" "$@"; }

# the official image: groupadd --gid 1000 node && useradd --uid 1000 --gid node --shell /bin/bash --create-home node
in_root groupadd --gid 1000 node
in_root useradd --uid 1000 --gid node --shell /bin/bash --create-home node

npm_version=$(in_root /usr/local/bin/node /usr/local/bin/npm --version 2>&1) || {
  say "npm does not run in the stand-in: $npm_version"
  exit 1
}

old_id=$(pm image inspect --format '{{.Id}}' "$TAG" 2>/dev/null || true)
say "importing as $TAG (node $node_version, npm $npm_version)"
tar --numeric-owner --xattrs -C "$root" -c . | pm import --quiet \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change "ENV NODE_VERSION=${node_version#v}" \
  --change 'ENV NODE_EXTRA_CA_CERTS=/usr/local/share/samsa-stand-in/ca-certificates.crt' \
  --change 'LABEL org.samsa.stand-in=true' \
  --change "LABEL org.samsa.stand-in.node=$node_version" \
  --change 'CMD ["node"]' \
  - "$TAG" >/dev/null
# the image this one replaces (--force, or another node) would linger untagged
new_id=$(pm image inspect --format '{{.Id}}' "$TAG")
if [ -n "$old_id" ] && [ "$old_id" != "$new_id" ]; then pm rmi "$old_id" >/dev/null 2>&1 || true; fi
say "done: $TAG"
