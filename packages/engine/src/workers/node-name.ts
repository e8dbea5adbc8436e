/** A worker's name (MODELDOCK_NODE_NAME, `node` on enqueue): a host-name-like word, so it is safe in logs and messages. */
import { ModeldockError } from '../errors';

const NODE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

export function isValidNodeName(value: unknown): value is string {
  return typeof value === 'string' && NODE_NAME.test(value);
}

export function validateNodeName(value: unknown, field = 'node'): string {
  if (!isValidNodeName(value)) {
    const shown = typeof value === 'string' ? `"${value.slice(0, 64)}"` : String(value);
    throw new ModeldockError(
      'INVALID_INPUT',
      `${field} must be a worker name of 1 to 63 letters, digits, dots, dashes or underscores, starting with a letter or digit (got ${shown})`,
    );
  }
  return value;
}
