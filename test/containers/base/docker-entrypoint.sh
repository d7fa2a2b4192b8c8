#!/bin/sh
# Like the public redis image's entrypoint: `-flag` or `x.conf` as first argument means redis-server;
# as root, own /data and drop to the redis user (setpriv from util-linux instead of gosu).
set -e
if [ "${1#-}" != "$1" ] || [ "${1%.conf}" != "$1" ]; then set -- redis-server "$@"; fi
if [ "$1" = 'redis-server' ] && [ "$(id -u)" = '0' ]; then
  find . \! -user redis -exec chown redis '{}' +
  exec setpriv --reuid=redis --regid=redis --init-groups "$0" "$@"
fi
exec "$@"
