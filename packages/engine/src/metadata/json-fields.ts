/**
 * Defensive readers for JSON from outside (hub answers, sidecars another tool wrote): a field of the
 * wrong type is "not known", never an exception and never a value of the wrong type downstream.
 */
export type JsonObject = Record<string, unknown>;

/** Longest string kept from any outside field; a 100 MB "name" is cut, not stored. */
const MAX_TEXT = 64 * 1024;

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function objectField(value: unknown, key: string): JsonObject | null {
  if (!isObject(value)) return null;
  const field = value[key];
  return isObject(field) ? field : null;
}

export function textOf(value: unknown, maxChars = MAX_TEXT): string | null {
  if (typeof value !== 'string') return null;
  const trimmed = value.trim();
  if (trimmed === '') return null;
  return trimmed.length > maxChars ? trimmed.slice(0, maxChars) : trimmed;
}

export function integerOf(value: unknown): number | null {
  return typeof value === 'number' && Number.isSafeInteger(value) ? value : null;
}

/** Non-empty strings of an array, trimmed and de-duplicated, at most `max` of them. */
export function stringsOf(value: unknown, max = 200): string[] {
  if (!Array.isArray(value)) return [];
  const seen = new Set<string>();
  for (const item of value) {
    const text = textOf(item, 1_000);
    if (text !== null) seen.add(text);
    if (seen.size >= max) break;
  }
  return [...seen];
}

/** Words of a comma-separated list ("activation text", trigger phrases). */
export function commaList(value: unknown): string[] {
  const text = textOf(value);
  if (text === null) return [];
  return stringsOf(text.split(','));
}
