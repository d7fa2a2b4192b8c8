// ioredis's classes, for every connection pypi-watch opens. The built code gets them from the
// pre-bundled file (`#ioredis`, scripts/bundle-vendor.mjs); BullMQ is always handed these instances,
// so it never loads the package itself and a process holds one ioredis.

export { Cluster, Redis, ReplyError } from '#ioredis';
