/**
 * Database failures as values. Drizzle wraps driver errors as "Failed query: <the whole statement>
 * params: …"; the driver's own message underneath ("connect ECONNREFUSED 127.0.0.1:5432",
 * 'relation "jobs" already exists') is what a person can act on, so that is what the message keeps.
 */
import { isModeldockError, ModeldockError } from '@modeldock/engine';

/** SQLSTATE classes and driver codes worth retrying: lost connections, shutdowns, conflicts, overload. */
const TRANSIENT_SQLSTATE = /^(08|40|53|57P)/;
const TRANSIENT_DRIVER_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  'CONNECT_TIMEOUT',
]);

function causes(error: unknown): unknown[] {
  const chain: unknown[] = [];
  let current: unknown = error;
  while (current !== undefined && current !== null && chain.length < 8) {
    chain.push(current);
    current = current instanceof Error ? current.cause : undefined;
  }
  return chain;
}

export function describeDatabaseError(error: unknown): string {
  const innermost = causes(error).at(-1);
  const message = innermost instanceof Error ? innermost.message : String(innermost);
  return message.split('\n')[0]!.trim() || 'unknown error';
}

export function isTransientDatabaseError(error: unknown): boolean {
  return causes(error).some((cause) => {
    const code = (cause as { code?: unknown }).code;
    return (
      typeof code === 'string' &&
      (TRANSIENT_DRIVER_CODES.has(code) || TRANSIENT_SQLSTATE.test(code))
    );
  });
}

/**
 * Runs one store operation; a failure that is not already a ModeldockError becomes
 * DATABASE_UNAVAILABLE saying what was being done, retryable when the cause is transient.
 */
export async function withDatabaseErrors<T>(doing: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (isModeldockError(error)) throw error;
    throw new ModeldockError(
      'DATABASE_UNAVAILABLE',
      `The database failed while ${doing}: ${describeDatabaseError(error)}`,
      {
        cause: error,
        retryable: isTransientDatabaseError(error),
      },
    );
  }
}
