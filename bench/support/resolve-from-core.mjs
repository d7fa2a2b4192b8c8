// Node resolve hook: a bare import from bench/ that the repository root cannot resolve (pnpm keeps
// bullmq, ioredis, execa under packages/core/node_modules) is resolved as if packages/core imported it.

const CORE = new URL('../../packages/core/package.json', import.meta.url).href;
const BENCH = new URL('../', import.meta.url).href;

export async function resolve(specifier, context, nextResolve) {
  try {
    return await nextResolve(specifier, context);
  } catch (error) {
    const bare = !specifier.startsWith('.') && !specifier.startsWith('/') && !specifier.includes(':');
    if (!bare || error?.code !== 'ERR_MODULE_NOT_FOUND' || !context.parentURL?.startsWith(BENCH)) throw error;
    return nextResolve(specifier, { ...context, parentURL: CORE });
  }
}
