/**
 * The opaque cursor of `listJobs`: the (created_at, id) of the last job on a page, so the next page
 * starts strictly after it in newest-first order even while jobs are added or removed.
 */
import { ModeldockError } from '@modeldock/engine';

export interface JobCursor {
  createdAt: Date;
  id: string;
}

export function encodeJobCursor(cursor: JobCursor): string {
  return Buffer.from(JSON.stringify([cursor.createdAt.toISOString(), cursor.id])).toString(
    'base64url',
  );
}

export function decodeJobCursor(value: string): JobCursor {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
    if (Array.isArray(parsed) && parsed.length === 2) {
      const [createdAt, id] = parsed as unknown[];
      const date = typeof createdAt === 'string' ? new Date(createdAt) : null;
      if (date && !Number.isNaN(date.getTime()) && typeof id === 'string' && id.length > 0) {
        return { createdAt: date, id };
      }
    }
  } catch {
    // Not base64url JSON: reported below like any other malformed cursor.
  }
  throw new ModeldockError(
    'INVALID_INPUT',
    'The list cursor is not one this server gave out: load the list again from the first page.',
  );
}
