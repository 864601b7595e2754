// Reading and writing values by dotted key path ("ports.smtp"), the form in which the
// settings table, the config file and error messages all name a setting.

export type PlainObject = Record<string, unknown>;

export function isPlainObject(value: unknown): value is PlainObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The value at `path`, or undefined when any step is missing or not an object. */
export function getPath(root: unknown, path: readonly (string | number)[]): unknown {
  let node: unknown = root;
  for (const step of path) {
    if (typeof step === 'number') {
      if (!Array.isArray(node)) return undefined;
      node = node[step];
    } else {
      if (!isPlainObject(node) || !Object.hasOwn(node, step)) return undefined;
      node = node[step];
    }
  }
  return node;
}

/**
 * Sets `value` at `path`, creating missing intermediate objects. Returns false (and
 * changes nothing) when an intermediate step holds a non-object: that value came from the
 * config file and must stay so validation reports it rather than silently replacing it.
 */
export function setPath(root: PlainObject, path: readonly string[], value: unknown): boolean {
  let node: PlainObject = root;
  for (const step of path.slice(0, -1)) {
    if (!Object.hasOwn(node, step)) node[step] = {};
    const next = node[step];
    if (!isPlainObject(next)) return false;
    node = next;
  }
  const last = path[path.length - 1];
  if (last === undefined) return false;
  node[last] = value;
  return true;
}

export function splitKey(key: string): string[] {
  return key.split('.');
}
