// Reads the allowed keys at a path out of the zod schema, for "unknown key" messages.

import type { z } from '#zod';

type AnySchema = z.core.$ZodType;

/** Strips default/prefault/optional/pipe wrappers down to the object schema, if any. */
function unwrap(schema: AnySchema): AnySchema {
  let current = schema;
  for (let depth = 0; depth < 10; depth++) {
    const def = current._zod.def as { innerType?: AnySchema; in?: AnySchema };
    if (def.innerType) current = def.innerType;
    else if (def.in) current = def.in;
    else break;
  }
  return current;
}

function shapeOf(schema: AnySchema): Record<string, AnySchema> | undefined {
  const def = unwrap(schema)._zod.def as { shape?: Record<string, AnySchema> };
  return def.shape;
}

function elementOf(schema: AnySchema): AnySchema | undefined {
  const def = unwrap(schema)._zod.def as { element?: AnySchema };
  return def.element;
}

export function describeAllowedKeys(root: AnySchema, path: readonly PropertyKey[]): string {
  let schema: AnySchema | undefined = root;
  for (const part of path) {
    // A list's items (notify.webhooks.0): the index names no key, the items' schema has them.
    const element: AnySchema | undefined = schema ? elementOf(schema) : undefined;
    if (element !== undefined && typeof part === 'number') {
      schema = element;
      continue;
    }
    const shape: Record<string, AnySchema> | undefined = schema ? shapeOf(schema) : undefined;
    schema = shape?.[String(part)];
  }
  const shape = schema ? shapeOf(schema) : undefined;
  return shape ? Object.keys(shape).join(', ') : '(none)';
}
