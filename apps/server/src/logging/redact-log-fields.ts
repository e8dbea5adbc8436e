/**
 * Every log line passes through here before it is written: strings are run through the engine's
 * `redactSecrets` (tokens, signed-URL signatures, passwords in connection strings), and values under
 * keys that only ever hold secrets are replaced outright.
 */
import { causeChain, redactSecrets } from '@modeldock/engine';

const SECRET_KEYS =
  /^(authorization|cookie|set-cookie|token|access_?token|api_?key|apikey|password|secret|x-api-key|ciphertext)$/i;
const MAX_DEPTH = 6;

function describeError(error: Error, depth: number): Record<string, unknown> {
  const fields: Record<string, unknown> = {
    type: error.name,
    message: redactSecrets(error.message),
  };
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' || typeof code === 'number') fields.code = code;
  const causes = causeChain(error);
  if (causes.length > 0) fields.causes = causes;
  if (error.stack && depth === 0) fields.stack = redactSecrets(error.stack);
  return fields;
}

export function redactLogValue(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return redactSecrets(value);
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Error) return describeError(value, depth);
  if (value instanceof Date) return value.toISOString();
  if (depth >= MAX_DEPTH) return '[nested too deep]';
  if (Array.isArray(value)) return value.map((item) => redactLogValue(item, depth + 1));
  if (value instanceof Map) return redactLogValue(Object.fromEntries(value), depth);
  const result: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    result[key] =
      SECRET_KEYS.test(key) && item !== null && item !== undefined
        ? '[redacted]'
        : redactLogValue(item, depth + 1);
  }
  return result;
}

export function redactLogFields(fields: Record<string, unknown>): Record<string, unknown> {
  return redactLogValue(fields) as Record<string, unknown>;
}
