/**
 * A JSON document a client uploads (a collection manifest, a ComfyUI workflow): JSON text or an
 * already-parsed object, refused with INVALID_INPUT naming the field when it is not JSON, not an
 * object or larger than 10 MB. Sizes are counted in UTF-8 bytes of the text (or of the object as JSON).
 */
import { ModeldockError } from '../errors';
import { MAX_DOCUMENT_BYTES } from './manifest-schema';

export function invalidField(field: string, message: string): ModeldockError {
  return new ModeldockError('INVALID_INPUT', `${field}: ${message}`, { details: { field } });
}

function megabytes(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(2)} MB`;
}

/** The document as a plain object; `field` names it in errors ("manifest", "workflow"). */
export function readJsonDocument(input: unknown, field: string): Record<string, unknown> {
  let value: unknown = input;
  if (typeof input === 'string') {
    const bytes = Buffer.byteLength(input);
    if (bytes > MAX_DOCUMENT_BYTES) {
      throw invalidField(
        field,
        `is ${megabytes(bytes)}; at most ${MAX_DOCUMENT_BYTES / (1024 * 1024)} MB is accepted`,
      );
    }
    try {
      value = JSON.parse(input);
    } catch (error) {
      throw invalidField(field, `is not JSON (${(error as Error).message.slice(0, 120)})`);
    }
  } else if (input !== null && typeof input === 'object') {
    let text: string;
    try {
      text = JSON.stringify(input);
    } catch {
      throw invalidField(field, 'is not JSON');
    }
    const bytes = Buffer.byteLength(text);
    if (bytes > MAX_DOCUMENT_BYTES) {
      throw invalidField(
        field,
        `is ${megabytes(bytes)}; at most ${MAX_DOCUMENT_BYTES / (1024 * 1024)} MB is accepted`,
      );
    }
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw invalidField(
      field,
      `must be a JSON object (got ${value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value})`,
    );
  }
  return value as Record<string, unknown>;
}
